using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using FedPS.Core.Experiments;

namespace FedPS.Cmdlets.Formatting;

/// <summary>
/// The table view of a sweep's runs (planned or stored), with one column per swept setting: the values that tell
/// the runs apart are what a reader looks for, and a run's name holds them too long to show. A view's columns
/// depend on the sweep, so a view is made for each set of swept settings the session meets (registered with
/// Update-FormatData) and selected by a type name the runs carry; without swept settings, or where the session
/// refuses format updates, the runs keep the module's fixed view. The swept columns take the place of the name
/// (and of the strategy and dataset, which a sweep that varies them shows as swept columns).
/// </summary>
internal sealed class SweepView
{
    private const int MaxColumnWidth = 24;

    private static readonly ConditionalWeakTable<Runspace, HashSet<string>> Registered = new();

    private readonly string? typeName;

    private SweepView(string? typeName) => this.typeName = typeName;

    /// <summary>The view for stored runs, given every swept value they hold (label, text).</summary>
    public static SweepView ForRuns(PSCmdlet cmdlet, IEnumerable<KeyValuePair<string, string>> swept) =>
        For(cmdlet, typeof(FedRun), swept, (table, labels) => table
            .Column("Index", 5, "Index")
            .Swept(labels)
            .Column("Seed", 4, "Seed")
            .Column("Status", 11, "Status")
            .Script("Rounds", 6, "'{0}/{1}' -f $_.RoundsCompleted, $_.RoundsPlanned")
            .Script("TrainLoss", 9, "'{0:N4}' -f $_.TrainLoss")
            .Script("TestLoss", 8, "'{0:N4}' -f $_.TestLoss")
            .Script("Accuracy", 8, "'{0:P2}' -f $_.TestAccuracy"));

    /// <summary>The view for planned runs, given every swept value of the plan (label, text).</summary>
    public static SweepView ForPlan(PSCmdlet cmdlet, IEnumerable<KeyValuePair<string, string>> swept) =>
        For(cmdlet, typeof(PlannedRun), swept, (table, labels) => table
            .Column("Index", 5, "Index")
            .Swept(labels)
            .Column("Seed", 4, "Seed")
            .Column("Rounds", 6, "Rounds", unless: labels)
            .Column("Clients", 7, "Clients", unless: labels)
            .Column("Key", 16, "Key"));

    /// <summary>The object as the pipeline should carry it: marked for this view when there is one.</summary>
    public object Tag(object item)
    {
        if (typeName is null)
        {
            return item;
        }

        var tagged = PSObject.AsPSObject(item);
        tagged.TypeNames.Insert(0, typeName);
        return tagged;
    }

    private static SweepView For(PSCmdlet cmdlet, Type type, IEnumerable<KeyValuePair<string, string>> swept, Func<Columns, IReadOnlyDictionary<string, int>, Columns> layout)
    {
        var widths = swept
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Math.Min(MaxColumnWidth, Math.Max(g.Key.Length, g.Max(p => p.Value.Length))), StringComparer.Ordinal);
        if (widths.Count == 0)
        {
            return new SweepView(null);
        }

        var name = $"{type.FullName}#{string.Join(",", widths.Select(w => $"{w.Key}:{w.Value}"))}";
        return new SweepView(Register(cmdlet, name, () => layout(new Columns(), widths).Build(name)) ? name : null);
    }

    /// <summary>Adds the view to the session's format data once; false where the session does not allow it.</summary>
    private static bool Register(PSCmdlet cmdlet, string name, Func<ExtendedTypeDefinition> definition)
    {
        var runspace = Runspace.DefaultRunspace;
        if (runspace?.InitialSessionState is not { } session)
        {
            return false;
        }

        var known = Registered.GetOrCreateValue(runspace);
        lock (known)
        {
            if (known.Contains(name))
            {
                return true;
            }

            try
            {
                session.Formats.Add(new SessionStateFormatEntry(definition()));
                cmdlet.InvokeCommand.InvokeScript("Update-FormatData -WhatIf:$false -Confirm:$false -ErrorAction Stop");
                known.Add(name);
                return true;
            }
            catch (RuntimeException)
            {
                // A constrained session (DisableFormatUpdates): the runs keep the module's fixed view.
                return false;
            }
        }
    }

    /// <summary>The columns of a view, in order.</summary>
    private sealed class Columns
    {
        private readonly List<(string Label, int Width, string Script)> columns = [];

        public Columns Column(string label, int width, string property, IReadOnlyDictionary<string, int>? unless = null) =>
            unless?.Keys.Any(k => string.Equals(k, label, StringComparison.OrdinalIgnoreCase)) == true
                ? this
                : Script(label, width, $"$_.{property}");

        public Columns Script(string label, int width, string script)
        {
            columns.Add((label, width, script));
            return this;
        }

        public Columns Swept(IReadOnlyDictionary<string, int> widths)
        {
            foreach (var (label, width) in widths)
            {
                Script(label, width, $"$_.Parameters['{label.Replace("'", "''", StringComparison.Ordinal)}']");
            }

            return this;
        }

        public ExtendedTypeDefinition Build(string typeName)
        {
            var table = TableControl.Create(outOfBand: false, autoSize: false, hideTableHeaders: false);
            foreach (var (label, width, _) in columns)
            {
                table.AddHeader(Alignment.Left, width, label);
            }

            var row = table.StartRowDefinition(wrap: false, entrySelectedByType: null, entrySelectedByCondition: null);
            foreach (var (_, _, script) in columns)
            {
                row.AddScriptBlockColumn(script, Alignment.Undefined, format: null);
            }

            return new ExtendedTypeDefinition(typeName, [new FormatViewDefinition(typeName, row.EndRowDefinition().EndTable())]);
        }
    }
}
