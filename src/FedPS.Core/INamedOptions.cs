namespace FedPS.Core;

/// <summary>
/// A settings section whose options record depends on its name (which knobs a strategy has depends on which strategy
/// it is). Config binders bind <c>Name</c> first, then the remaining keys onto the record <see cref="OptionsTypeFor"/> gives.
/// </summary>
public interface INamedOptions
{
    string Name { get; }

    /// <summary>The options record type of the entry named <paramref name="name"/> (fails clearly for an unknown name).</summary>
    Type OptionsTypeFor(string name);

    /// <summary>A hint for a key the entry's record does not have, e.g. which other entries do have it; null if none.</summary>
    string? HintForUnknownKey(string name, string key);
}
