using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedPS.Core.Models;

/// <summary>A multilayer perceptron: flatten, then Linear+ReLU per hidden size, then a Linear classifier.</summary>
public sealed class MlpNet : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public MlpNet(int inputs, IReadOnlyList<int> hidden, int classes)
        : base(nameof(MlpNet))
    {
        var modules = new List<(string, Module<Tensor, Tensor>)> { ("flatten", Flatten()) };
        var width = inputs;
        for (var i = 0; i < hidden.Count; i++)
        {
            modules.Add(($"fc{i + 1}", Linear(width, hidden[i])));
            modules.Add(($"relu{i + 1}", ReLU()));
            width = hidden[i];
        }

        modules.Add(($"fc{hidden.Count + 1}", Linear(width, classes)));
        layers = Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => layers.forward(input);
}
