using FedPS.Core.Data;
using FedPS.Core.Data.Text;
using FedPS.Core.Models;
using FedPS.Core.Tokenizers;
using FedPS.Core.Simulation;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Data.Text;

public sealed class TextEncoderTests
{
    private static readonly ByteTokenizer Bytes = new();

    [Fact]
    public void Instruction_labels_count_the_response_and_end_of_text_only()
    {
        var data = TextEncoder.Instructions("t", "train", [new TextExample("ab:", "cd", "ab cd")], Bytes, 8, CPU);

        Assert.Equal(new long[] { 'a', 'b', ':', 'c', 'd', 256, 256, 256 }, data.Features[0].data<long>().ToArray());
        Assert.Equal(new long[] { -100, -100, 'c', 'd', 256, -100, -100, -100 }, data.Labels[0].data<long>().ToArray());
        Assert.Equal([8], data.Shape);
        Assert.Equal(257, data.ClassCount);
    }

    [Fact]
    public void Corpus_windows_predict_every_next_token()
    {
        var data = TextEncoder.Corpus("c", "train", ["abcdefg", "hi"], Bytes, 4, CPU);

        Assert.Equal(2, data.Count); // 7 + 1 + 2 + 1 = 11 tokens: two windows of 4 (+1 target)
        Assert.Equal(new long[] { 'b', 'c', 'd', 'e' }, data.Labels[0].data<long>().ToArray());
        Assert.Equal(new long[] { 'e', 'f', 'g', 256 }, data.Features[1].data<long>().ToArray());
    }

    [Fact]
    public void By_task_gives_each_task_its_clients_and_its_test_data()
    {
        var a = TextEncoder.Corpus("a", "train", [new string('a', 200)], Bytes, 4, CPU);
        var b = TextEncoder.Corpus("b", "train", [new string('b', 100)], Bytes, 4, CPU);

        var clients = FedClientData.ByTask([(a, b), (b, a)], clientsPerTask: 2, seed: 1);

        Assert.Equal([0, 1, 2, 3], clients.Select(c => c.Id));
        Assert.Equal(a.Count, clients[0].Count + clients[1].Count);
        Assert.Same(b, clients[1].Test);
        Assert.Same(a, clients[3].Test);
    }

    [Fact]
    public void A_gpt_accepts_token_data_up_to_its_context_with_its_vocabulary_only()
    {
        var model = new FedModel(ModelSpec.ForGpt(new GptConfig(257, 8, 1, 1, 8, "Byte")), 0);
        var fits = TextEncoder.Corpus("fits", "train", ["abcdefghijkl"], Bytes, 6, CPU);
        var tooLong = TextEncoder.Corpus("long", "train", ["abcdefghijkl"], Bytes, 10, CPU);

        model.EnsureAccepts(fits);
        var error = Assert.Throws<FedPSException>(() => model.EnsureAccepts(tooLong));

        Assert.Contains("-ContextLength 8", error.Message);
        Assert.Throws<FedPSException>(() => model.EnsureAccepts(TestData.Blobs(10, 1)));
    }
}
