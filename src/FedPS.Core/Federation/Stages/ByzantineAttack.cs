using System.Globalization;
using FedPS.Core.Primitives;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Byzantine clients, the threat model robust aggregators (FedMedian, FedTrimmedAvg, Krum) are built for (Blanchard,
/// El Mhamdi, Guerraoui, Stainer 2017): some clients send whatever they like. The attacks are the standard ones of
/// that literature (e.g. Fang, Cao, Jia, Gong 2020, "Local Model Poisoning Attacks to Byzantine-Robust Federated
/// Learning"; Li, Xu, Chen, Giannakis, Ling 2019, "RSA"), with Δ the update an honest client would send:
/// <code>
///   LabelFlip       train on y → C − 1 − y (C classes), then send that update honestly
///   SignFlip        send −s·Δ
///   Scale           send  s·Δ                     (a boosted update)
///   GaussianNoise   send  Δ' ~ N(0, σ² I)
/// </code>
/// Which clients attack is a client property: a server's attack picks ⌊f·N⌉ of its N clients (or an exact count, or
/// given ids) once per run, uniformly from its seed, so every round and every resume has the same attackers.
/// The attack comes before local DP and compression: the attacker's message still travels in the protocol's format.
/// </summary>
public sealed class ByzantineAttack : RoundStage
{
    private readonly AttackOptions options;
    private readonly bool chooses;

    public ByzantineAttack(AttackOptions options, IEnumerable<int>? clients = null)
        : base("attack", 100, clients ?? [])
    {
        this.options = (AttackOptions)options.Validated();
        chooses = clients is null;
    }

    public AttackOptions Options => options;

    public override void Initialize(StageSetup setup)
    {
        var ids = setup.Clients.Select(c => c.Id).ToArray();
        if (options.Kind == AttackKind.LabelFlip && setup.Clients.FirstOrDefault(c => c.Data.Data.IsSequence) is { } text)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Label flipping needs a classification dataset, but client {text.Id} holds text ({text.Data.Data.Name}).", options);
        }

        if (!chooses)
        {
            return;
        }

        if (options.Clients is { } given)
        {
            var unknown = given.Where(c => !ids.Contains(c)).ToArray();
            if (unknown.Length > 0)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"The attack names client{(unknown.Length == 1 ? string.Empty : "s")} {string.Join(", ", unknown)}, which the server does not have (its clients are {Range(ids)}).", unknown[0]);
            }

            Restrict(given);
            return;
        }

        var count = options.Count ?? (int)Math.Round(options.Fraction * ids.Length, MidpointRounding.AwayFromZero);
        if (count > ids.Length)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The attack asks for {count} attackers, more than the server's {ids.Length} clients.", count);
        }

        var order = ids.Order().ToArray();
        new Random(SeedSequence.DeriveInt(setup.Seed, (long)SeedPurpose.Attackers)).Shuffle(order);
        Restrict(order[..count]);
    }

    public override ClientAssignment Prepare(ClientAssignment assignment)
    {
        if (options.Kind != AttackKind.LabelFlip)
        {
            return assignment;
        }

        var top = assignment.Client.Data.Data.ClassCount - 1;
        return assignment.WithLabelMap(labels => where(labels.ge(0), labels.neg().add(top), labels), "label-flipping attacker");
    }

    public override ClientUpdate Transform(ClientUpdate update, long seed, int round)
    {
        if (options.Kind == AttackKind.LabelFlip)
        {
            return update;
        }

        using var delta = update.Delta();
        var forged = options.Kind switch
        {
            AttackKind.SignFlip => delta.Map((_, d) => d.mul(-options.EffectiveScale)),
            AttackKind.Scale => delta.Map((_, d) => d.mul(options.EffectiveScale)),
            _ => GaussianNoise.Like(delta, options.NoiseStd, SeedSequence.Derive(seed, round, update.ClientId, (long)SeedPurpose.AttackNoise)),
        };
        return update.WithDelta(forged);
    }

    public override string Describe() => options.Kind switch
    {
        AttackKind.SignFlip or AttackKind.Scale => string.Create(CultureInfo.InvariantCulture, $"{options.Kind} attack (s={options.EffectiveScale})"),
        AttackKind.GaussianNoise => string.Create(CultureInfo.InvariantCulture, $"GaussianNoise attack (σ={options.NoiseStd})"),
        _ => "LabelFlip attack",
    };

    private static string Range(int[] ids) => ids.Length == 0 ? "none" : $"{ids.Min()}–{ids.Max()}";
}
