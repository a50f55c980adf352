// SPDX-License-Identifier: BSD-3-Clause
// ITU-T T.81 marker vocabulary shared by the project's JPEG code (the lossless codec and the checks the
// 12-bit adapter runs before handing a stream to DCMTK).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace dicompix::codecs::jpeg {

// Marker codes (T.81 Table B.1).
inline constexpr std::uint8_t m_tem = 0x01;
inline constexpr std::uint8_t m_sof3 = 0xC3;
inline constexpr std::uint8_t m_dht = 0xC4;
inline constexpr std::uint8_t m_dac = 0xCC;
inline constexpr std::uint8_t m_rst0 = 0xD0;
inline constexpr std::uint8_t m_rst7 = 0xD7;
inline constexpr std::uint8_t m_soi = 0xD8;
inline constexpr std::uint8_t m_eoi = 0xD9;
inline constexpr std::uint8_t m_sos = 0xDA;
inline constexpr std::uint8_t m_dnl = 0xDC;
inline constexpr std::uint8_t m_dri = 0xDD;

/// Start-of-frame markers SOF0..SOF15 (not DHT, DAC or the reserved JPG marker).
constexpr bool is_sof(std::uint8_t m) noexcept {
    return m >= 0xC0 && m <= 0xCF && m != m_dht && m != m_dac && m != 0xC8;
}

inline std::uint32_t be16(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 8U) | p[1];
}

/// " at codestream byte N", for error messages.
inline std::string at(std::size_t pos) {
    return " at codestream byte " + std::to_string(pos);
}

/// Skips one entropy-coded segment (and the RSTn markers inside a scan, T.81 B.1.1.5) and returns the
/// position of the marker that ends the scan (its 0xFF byte), or the data size.
inline std::size_t skip_entropy_data(std::span<const std::uint8_t> d, std::size_t pos) noexcept {
    while (pos + 1 < d.size()) {
        if (d[pos] != 0xFF) {
            ++pos;
            continue;
        }
        const std::uint8_t next = d[pos + 1];
        if (next == 0x00 || (next >= m_rst0 && next <= m_rst7)) {
            pos += 2;
        } else if (next == 0xFF) {
            ++pos; // fill byte (T.81 B.1.1.2)
        } else {
            return pos;
        }
    }
    return d.size();
}

} // namespace dicompix::codecs::jpeg
