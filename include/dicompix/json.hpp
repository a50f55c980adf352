// SPDX-License-Identifier: BSD-3-Clause
// dicompix: the DICOM JSON Model (PS3.18 Annex F.2) writer.
//
// One object keyed by 8-hex-digit uppercase tags; each attribute an object with "vr" and, when the
// value is not empty, "Value" (strings, numbers, Person Name objects, items), or "InlineBinary"
// (base64 of the value in little-endian byte order, PS3.18 F.2.7). Strings are decoded to UTF-8 with
// the Specific Character Set in force (JSON text is UTF-8, RFC 8259 §8.1), so (0008,0005) is written
// as "ISO_IR 192" when the source used another character set, as dcm2json does.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "dicompix/dataset.hpp"
#include "dicompix/error.hpp"

namespace dicompix {

/// What to do with encapsulated Pixel Data (PS3.5 §A.4), which the JSON Model has no form for other
/// than a Bulk Data URI (PS3.18 F.2.7) that a file-based writer cannot mint.
enum class json_encapsulated : std::uint8_t {
    /// "InlineBinary": base64 of the encapsulated value as encoded (Basic Offset Table item, fragment
    /// items with their headers, little-endian; no Sequence Delimitation Item). This is pydicom's
    /// convention: a reader that knows the transfer syntax can rebuild the element.
    inline_items,
    /// Leave the element out (the object then matches dcm2json's output for a copy without it).
    omit,
    /// Fail with errc::invalid_argument, as dcm2json does.
    error,
};

/// Options of the JSON writer. The defaults give what `dcm2json` gives for the same dataset, except
/// where doc/dcm2json-differences.md says otherwise.
struct json_options {
    /// Spaces per nesting level; 0 writes compact JSON with no whitespace at all.
    std::uint32_t indent{0};
    json_encapsulated encapsulated{json_encapsulated::inline_items};
    /// Write group length elements (gggg,0000). They describe an encoding, not the data, and dcm2json
    /// leaves them out (even with +m), so the default does too.
    bool group_lengths{false};
    /// Write "ISO_IR 192" for Specific Character Set (0008,0005) when the values were converted from
    /// another character set (dcm2json's behaviour); false writes the value found in the source.
    bool rewrite_character_set{true};
    /// Elements of this dataset (the File Meta Information of a file) are written first, in the same
    /// object, like `dcm2json +m`. PS3.18 does not define meta elements in the JSON Model, so this is
    /// off (nullptr) by default. Not owned; must outlive the call.
    const dataset* meta{nullptr};
};

/// The dataset as a DICOM JSON Model object (PS3.18 F.2). Value mapping:
/// - AE AS CS DA DT LO LT SH ST TM UC UI UR UT: JSON strings, UTF-8, padding removed (leading spaces
///   too where PS3.5 Table 6.2-1 says they are insignificant); empty values of a multi-valued string
///   are null (PS3.18 F.2.5). Where the character set is undeclared (non-ASCII bytes without Specific
///   Character Set) or not decodable (ISO 2022 escapes, unknown terms) and the bytes are not UTF-8,
///   they are read as ISO 8859-1 so that none is lost; ill-formed UTF-8 in a value declared UTF-8
///   (ISO_IR 192) becomes U+FFFD.
/// - PN: {"Alphabetic", "Ideographic", "Phonetic"} component groups split on '=' (F.2.2), trailing
///   empty components and their '^' dropped (PS3.5 §6.2.1.1: "Doe^John^^" is "Doe^John"); empty
///   groups are left out; an empty name is null, and a value of only delimiters has no "Value".
/// - IS, DS: JSON numbers with the source text's digits (a '+' sign, leading zeros and a bare '.' are
///   normalised to JSON number syntax, so the numeric value is exactly the source's); a value that is
///   not a number is written as a JSON string (F.2.3.1).
/// - US SS UL SL FL FD: JSON numbers (FL/FD in shortest round-trip form; NaN and infinities, which
///   JSON cannot express, as the strings "NaN", "Infinity", "-Infinity").
/// - SV, UV: JSON numbers up to 2^53 in magnitude, JSON strings beyond (F.2.3.1).
/// - AT: strings "GGGGEEEE" (F.2.3.1).
/// - OB OD OF OL OV OW UN: "InlineBinary", base64 of the value in little-endian byte order.
/// - SQ (and UN of undefined length, read as a sequence per CP-246): "Value" array of item objects.
/// Errors: invalid_argument (encapsulated Pixel Data with json_encapsulated::error).
/// Cost: one pass; the only allocations are the output string's growth (and a temporary per value
/// whose bytes are not ASCII and must be decoded).
[[nodiscard]] result<std::string> to_json(const dataset& ds, const json_options& options = {});

/// As to_json, written to `out` in chunks (the whole document is never held in memory, which matters
/// for multi-gigabyte pixel data). Errors: those of to_json, and write_error when the stream fails.
/// On error, part of the document may already have been written.
[[nodiscard]] result<void> write_json(std::ostream& out, const dataset& ds, const json_options& options = {});

} // namespace dicompix
