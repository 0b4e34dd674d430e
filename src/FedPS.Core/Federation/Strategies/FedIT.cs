namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// FedIT (Zhang et al. 2024, "Towards Building the Federated GPT: Federated Instruction Tuning"): FedAvg over the
/// LoRA tensors of one shared adapter. Since only trainable tensors travel and are averaged, this is exactly
/// <see cref="FedAvg"/> on a model whose trainable tensors are its adapters; the class only gives it its name.
/// </summary>
public sealed class FedIT() : FedAvg(nameof(FedIT));
