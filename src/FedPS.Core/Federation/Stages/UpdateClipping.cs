using FedPS.Core.Models;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// L2 clipping of a client's update, as DP-FedAvg clips (McMahan et al. 2018): Δ̂ = Δ · min(1, S / ‖Δ‖₂), the norm
/// over every element of every tensor the client sends. Used by central and local DP and by Limit-FedUpdate.
/// </summary>
public static class UpdateClipping
{
    /// <summary>min(1, S / ‖Δ‖): the factor that brings an update of norm <paramref name="norm"/> within <paramref name="clipNorm"/>.</summary>
    public static double Factor(double norm, double clipNorm) => norm > clipNorm ? clipNorm / norm : 1.0;

    /// <summary>The update with its delta clipped to <paramref name="clipNorm"/>; the same update when it is within the bound.</summary>
    public static ClientUpdate Clip(ClientUpdate update, double clipNorm)
    {
        var factor = Factor(update.UpdateNorm, clipNorm);
        if (factor == 1.0)
        {
            return update;
        }

        using var delta = update.Delta();
        return update.WithDelta(delta.Map((_, d) => d.mul(factor)));
    }

    /// <summary>Δ · min(1, S/‖Δ‖) as a new set, and the norm ‖Δ‖ before clipping.</summary>
    public static (ParameterSet Clipped, double Norm) Clip(ParameterSet delta, double clipNorm)
    {
        var norm = delta.Norm();
        var factor = Factor(norm, clipNorm);
        return (delta.Map((_, d) => factor == 1.0 ? d.clone() : d.mul(factor)), norm);
    }
}
