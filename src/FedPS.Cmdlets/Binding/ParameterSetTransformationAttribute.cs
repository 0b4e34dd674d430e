using System.Collections;
using System.Globalization;
using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Models;

namespace FedPS.Cmdlets.Binding;

/// <summary>
/// Lets a parameter that takes a <see cref="ParameterSet"/> take a hashtable of plain numbers, as a script writes them:
/// <c>@{ w = 0.2, 0.2; b = 1 }</c> (each value a number or a list of numbers; float64).
/// </summary>
public sealed class ParameterSetTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is not IDictionary map)
        {
            return inputData;
        }

        try
        {
            return ParameterSet.FromValues(map.Keys.Cast<object>()
                .Select(k => new KeyValuePair<string, double[]>(Convert.ToString(k, CultureInfo.InvariantCulture)!, Numbers(k, map[k]))));
        }
        catch (FedPSException ex)
        {
            throw new ArgumentTransformationMetadataException(ex.Message, ex);
        }
    }

    private static double[] Numbers(object key, object? value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        var items = raw is IEnumerable list and not string ? list.Cast<object?>() : [raw];
        return items.Select(item =>
        {
            var number = item is PSObject p ? p.BaseObject : item;
            try
            {
                return LanguagePrimitives.ConvertTo<double>(number);
            }
            catch (PSInvalidCastException)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument, $"The value '{number}' of '{key}' is not a number.", number);
            }
        }).ToArray();
    }
}
