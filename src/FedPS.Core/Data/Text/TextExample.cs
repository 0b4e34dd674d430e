namespace FedPS.Core.Data.Text;

/// <summary>
/// One instruction example: the prompt (instruction and input), the response the model should produce, and the
/// raw text it was made from (what pretraining reads).
/// </summary>
public sealed record TextExample(string Prompt, string Response, string Raw)
{
    public override string ToString() => $"{Prompt.TrimEnd()} → {Response}";
}
