using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Primitives;

/// <summary>
/// The minibatch a local step trained on, as an update rule that needs more than gradients sees it: Sophia
/// re-estimates curvature on it, a Newton-type method takes Hessian-vector products on it. <see cref="Generator"/>
/// is the seeded source for any sampling the rule does (GNB labels, Hutchinson probes), so runs stay reproducible.
/// </summary>
public sealed record Minibatch(nn.Module<Tensor, Tensor> Model, Tensor Inputs, Tensor Labels, Generator Generator);
