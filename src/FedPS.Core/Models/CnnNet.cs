using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedPS.Core.Models;

/// <summary>
/// McMahan et al. 2017's CNN: conv 5×5·32, max-pool 2, conv 5×5·64, max-pool 2, fully connected 512, classifier.
/// Convolutions are padded ("same") so any image of at least 4×4 works (MNIST 28×28, digits 8×8).
/// </summary>
public sealed class CnnNet : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public CnnNet(int channels, int height, int width, int classes)
        : base(nameof(CnnNet))
    {
        if (height < 4 || width < 4)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The Cnn pools twice by 2 and needs images of at least 4×4 (got {height}×{width}).", new[] { height, width });
        }

        var flat = 64 * (height / 4) * (width / 4);
        layers = Sequential(
            ("conv1", Conv2d(channels, 32, kernel_size: 5, padding: 2)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel_size: 2)),
            ("conv2", Conv2d(32, 64, kernel_size: 5, padding: 2)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernel_size: 2)),
            ("flatten", Flatten()),
            ("fc1", Linear(flat, 512)),
            ("relu3", ReLU()),
            ("fc2", Linear(512, classes)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => layers.forward(input);
}
