using System.Text.RegularExpressions;
using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

/// <summary>
/// Every file in corpus/ is a config FedPS must refuse before anything runs, with a clear error. Its first comment
/// lines say how: <c># expect: regex</c> (matched against the message), optionally <c># kind: FedErrorKind</c>
/// (default InvalidArgument), <c># at: line:column regex</c> (the position after the file name) and
/// <c># force: true</c> (expand as with -Force).
/// </summary>
public sealed partial class BadConfigCorpusTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Experiments", "corpus");

    public static TheoryData<string> Files() => new(Directory.GetFiles(Folder, "*.yaml").Select(Path.GetFileName).Order()!);

    [Fact]
    public void The_corpus_holds_at_least_twenty_bad_configs() => Assert.True(Files().Count >= 20);

    [Theory]
    [MemberData(nameof(Files))]
    public void A_bad_config_is_refused_with_a_located_error_before_anything_runs(string file)
    {
        var path = Path.Combine(Folder, file);
        var header = Header(path);

        var error = Assert.ThrowsAny<FedPSException>(() => ExperimentConfig.Load(path).Expand(force: header.GetValueOrDefault("force") == "true"));

        Assert.True(Regex.IsMatch(error.Message, header["expect"]), error.Message);
        Assert.Equal(Enum.Parse<FedErrorKind>(header.GetValueOrDefault("kind") ?? "InvalidArgument"), error.Kind);
        Assert.StartsWith(path, error.Message);
        if (header.TryGetValue("at", out var at))
        {
            Assert.True(Regex.IsMatch(error.Message, "^" + Regex.Escape(path) + ":" + at), error.Message);
        }

        Assert.DoesNotContain("   at ", error.Message); // no .NET stack text
    }

    private static Dictionary<string, string> Header(string path) =>
        File.ReadLines(path).TakeWhile(l => l.StartsWith('#'))
            .Select(l => HeaderLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value.Trim());

    [GeneratedRegex(@"^#\s*(?<key>expect|kind|at|force):(?<value>.*)$")]
    private static partial Regex HeaderLine();
}
