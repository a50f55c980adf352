// SPDX-License-Identifier: BSD-3-Clause
// dicompix: transfer syntaxes (PS3.5 §10, Annex A) as a table generated from
// dictionary/transfer_syntaxes.tsv. Every known transfer syntax is listed whether or not a codec for
// it is built.
#pragma once

#include <span>
#include <string_view>

namespace dicompix {

/// Descriptor of one transfer syntax.
struct transfer_syntax {
    std::string_view uid;
    std::string_view name;     ///< PS3.6 name, e.g. "JPEG 2000 Image Compression (Lossless Only)"
    std::string_view keyword;  ///< short identifier, e.g. "JPEG2000Lossless" (usable on the command line)
    bool big_endian;           ///< Explicit VR Big Endian (retired)
    bool explicit_vr;
    bool encapsulated;         ///< Pixel Data is encapsulated (PS3.5 §A.4)
    bool lossy;                ///< may be lossy (JPEG baseline, near-lossless JPEG-LS, JPEG 2000, ...)
    bool deflated;             ///< the whole dataset after the meta group is deflated (PS3.5 §A.5)
    bool retired;
};

/// Finds a transfer syntax by UID; trailing NUL/space padding is ignored. nullptr when unknown.
[[nodiscard]] const transfer_syntax* find_transfer_syntax(std::string_view uid) noexcept;
/// Finds a transfer syntax by UID, keyword or name (case-insensitive for keyword and name).
[[nodiscard]] const transfer_syntax* find_transfer_syntax_by_name(std::string_view uid_keyword_or_name) noexcept;
/// All known transfer syntaxes, in table order.
[[nodiscard]] std::span<const transfer_syntax> transfer_syntaxes() noexcept;

/// UIDs used by the library itself.
namespace uids {
inline constexpr std::string_view implicit_vr_little_endian = "1.2.840.10008.1.2";
inline constexpr std::string_view explicit_vr_little_endian = "1.2.840.10008.1.2.1";
inline constexpr std::string_view encapsulated_uncompressed = "1.2.840.10008.1.2.1.98";
inline constexpr std::string_view deflated_explicit_vr_little_endian = "1.2.840.10008.1.2.1.99";
inline constexpr std::string_view explicit_vr_big_endian = "1.2.840.10008.1.2.2";
inline constexpr std::string_view deflated_image_frame = "1.2.840.10008.1.2.8.1";
inline constexpr std::string_view jpeg_baseline = "1.2.840.10008.1.2.4.50";
inline constexpr std::string_view jpeg_extended = "1.2.840.10008.1.2.4.51";
inline constexpr std::string_view jpeg_spectral_selection = "1.2.840.10008.1.2.4.53"; ///< processes 6 & 8 (retired)
inline constexpr std::string_view jpeg_full_progression = "1.2.840.10008.1.2.4.55";  ///< processes 10 & 12 (retired)
inline constexpr std::string_view jpeg_lossless = "1.2.840.10008.1.2.4.57";
inline constexpr std::string_view jpeg_lossless_sv1 = "1.2.840.10008.1.2.4.70";
inline constexpr std::string_view jpeg_ls_lossless = "1.2.840.10008.1.2.4.80";
inline constexpr std::string_view jpeg_ls_near_lossless = "1.2.840.10008.1.2.4.81";
inline constexpr std::string_view jpeg_2000_lossless = "1.2.840.10008.1.2.4.90";
inline constexpr std::string_view jpeg_2000 = "1.2.840.10008.1.2.4.91";
inline constexpr std::string_view jpeg_xl_lossless = "1.2.840.10008.1.2.4.110";
inline constexpr std::string_view jpeg_xl_jpeg_recompression = "1.2.840.10008.1.2.4.111";
inline constexpr std::string_view jpeg_xl = "1.2.840.10008.1.2.4.112";
inline constexpr std::string_view htj2k_lossless = "1.2.840.10008.1.2.4.201";
inline constexpr std::string_view htj2k_rpcl_lossless = "1.2.840.10008.1.2.4.202";
inline constexpr std::string_view htj2k = "1.2.840.10008.1.2.4.203";
inline constexpr std::string_view rle_lossless = "1.2.840.10008.1.2.5";
} // namespace uids

} // namespace dicompix
