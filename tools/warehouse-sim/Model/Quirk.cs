namespace Stockcast.WarehouseSim.Model;

/// <summary>
/// What real warehouse feeds get wrong. One vocabulary for both ways the simulator sends it: asked for
/// on one SKU's record (<see cref="MalformedRecord"/>), or picked at random by messy mode (<see cref="MessSpec"/>).
/// All but the delivery quirks change a record; <see cref="RecordQuirks"/> says where each fits.
/// </summary>
public enum Quirk
{
    /// <summary>The SKU field left out.</summary>
    MissingSku,

    /// <summary>A control character in the SKU (U+0002, the start-of-text a barcode scanner prefixes).</summary>
    ControlCharacterSku,

    /// <summary>Whitespace after the SKU ("LIP-RED-01  "), as exports padded to a column width send it.</summary>
    PaddedSku,

    /// <summary>On hand below zero, as a backorder shows in some systems.</summary>
    NegativeQuantity,

    /// <summary>The quantity as text that is no number ("12 pcs").</summary>
    NonNumericQuantity,

    /// <summary>The quantity as a string of digits ("12").</summary>
    NumericStringQuantity,

    /// <summary>The quantity null.</summary>
    NullQuantity,

    /// <summary>The quantity field left out.</summary>
    MissingQuantity,

    /// <summary>The sellable figure below zero: a backorder.</summary>
    NegativeAvailable,

    /// <summary>The record's time in no format a reader knows.</summary>
    BadTimestamp,

    /// <summary>The record's time an empty string.</summary>
    EmptyTimestamp,

    /// <summary>The record's time field left out.</summary>
    MissingTimestamp,

    /// <summary>A webhook delivered twice.</summary>
    DuplicateDelivery,

    /// <summary>After a webhook, an older one for the same SKU delivered again (a retry that lost the race).</summary>
    OlderRedelivered,
}
