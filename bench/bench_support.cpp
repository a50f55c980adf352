// SPDX-License-Identifier: BSD-3-Clause
#include "bench_support.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace dicompix::bench {

namespace {

std::filesystem::path& inputs_storage() {
    static std::filesystem::path dir = [] {
        const char* env = std::getenv("DICOMPIX_BENCH_INPUTS");
        return std::filesystem::path(env != nullptr && *env != '\0' ? env : "/tmp/dpx-bench");
    }();
    return dir;
}

/// Explicit VR element writer (PS3.5 §7.1.2), little or big endian.
struct writer {
    std::vector<std::byte> out;
    bool big{false};

    void u16(std::uint16_t v) {
        const auto hi = static_cast<std::byte>(v >> 8U);
        const auto lo = static_cast<std::byte>(v & 0xFFU);
        out.push_back(big ? hi : lo);
        out.push_back(big ? lo : hi);
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(big ? v >> 16U : v & 0xFFFFU));
        u16(static_cast<std::uint16_t>(big ? v & 0xFFFFU : v >> 16U));
    }
    void header(std::uint16_t group, std::uint16_t element, const char* vr, std::uint32_t length) {
        u16(group);
        u16(element);
        out.push_back(static_cast<std::byte>(vr[0]));
        out.push_back(static_cast<std::byte>(vr[1]));
        const std::string_view v(vr, 2);
        if (v == "OB" || v == "OW" || v == "UN" || v == "SQ" || v == "UT") {
            u16(0);
            u32(length);
        } else {
            u16(static_cast<std::uint16_t>(length));
        }
    }
    void text(std::uint16_t group, std::uint16_t element, const char* vr, std::string value, char pad = ' ') {
        if (value.size() % 2 != 0) {
            value.push_back(pad);
        }
        header(group, element, vr, static_cast<std::uint32_t>(value.size()));
        for (const char c : value) {
            out.push_back(static_cast<std::byte>(c));
        }
    }
    void us(std::uint16_t group, std::uint16_t element, std::uint16_t value) {
        header(group, element, "US", 2);
        u16(value);
    }
};

} // namespace

const std::filesystem::path& inputs_dir() {
    return inputs_storage();
}

std::optional<std::filesystem::path> input(const std::string& name) {
    std::filesystem::path p = inputs_dir() / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
        return std::nullopt;
    }
    return p;
}

std::optional<dicom_file> open_input(const std::string& name) {
    const auto p = input(name);
    if (!p) {
        return std::nullopt;
    }
    auto f = read_file(*p);
    if (!f) {
        return std::nullopt;
    }
    return std::move(*f);
}

int main_with_inputs(int argc, char** argv, void (*register_all)()) {
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a.starts_with("--inputs=")) {
            inputs_storage() = std::filesystem::path(a.substr(9));
        } else {
            rest.push_back(argv[i]);
        }
    }
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());
    if (benchmark::ReportUnrecognizedArguments(n, rest.data())) {
        return 2;
    }
    register_all();
    benchmark::AddCustomContext("inputs", inputs_dir().string());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

std::vector<std::byte> native_file(const native_spec& spec, std::span<const std::byte> pixels) {
    writer meta;
    const char* ts = spec.big_endian ? "1.2.840.10008.1.2.2" : "1.2.840.10008.1.2.1";
    writer group;
    group.text(0x0002, 0x0001, "OB", std::string("\0\1", 2));
    group.text(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7", '\0');
    group.text(0x0002, 0x0003, "UI", "1.2.826.0.1.3680043.10.1045.9.1", '\0');
    group.text(0x0002, 0x0010, "UI", ts, '\0');
    meta.out.resize(128);
    for (const char c : std::string_view("DICM")) {
        meta.out.push_back(static_cast<std::byte>(c));
    }
    meta.header(0x0002, 0x0000, "UL", 4);
    meta.u32(static_cast<std::uint32_t>(group.out.size()));
    meta.out.insert(meta.out.end(), group.out.begin(), group.out.end());

    writer ds;
    ds.big = spec.big_endian;
    ds.text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7", '\0');
    ds.text(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.1045.9.1", '\0');
    ds.us(0x0028, 0x0002, spec.samples);
    ds.text(0x0028, 0x0004, "CS", spec.photometric);
    if (spec.samples > 1) {
        ds.us(0x0028, 0x0006, spec.planar);
    }
    if (spec.frames > 1) {
        ds.text(0x0028, 0x0008, "IS", std::to_string(spec.frames));
    }
    ds.us(0x0028, 0x0010, static_cast<std::uint16_t>(spec.rows));
    ds.us(0x0028, 0x0011, static_cast<std::uint16_t>(spec.columns));
    ds.us(0x0028, 0x0100, spec.bits_allocated);
    ds.us(0x0028, 0x0101, spec.bits_stored);
    ds.us(0x0028, 0x0102, static_cast<std::uint16_t>(spec.bits_stored - 1));
    ds.us(0x0028, 0x0103, spec.is_signed ? 1 : 0);
    const std::size_t padded = pixels.size() + (pixels.size() & 1U);
    ds.header(0x7FE0, 0x0010, spec.bits_allocated > 8 ? "OW" : "OB", static_cast<std::uint32_t>(padded));
    ds.out.insert(ds.out.end(), pixels.begin(), pixels.end());
    if (padded != pixels.size()) {
        ds.out.push_back(std::byte{0});
    }
    meta.out.insert(meta.out.end(), ds.out.begin(), ds.out.end());
    return std::move(meta.out);
}

std::uint64_t fold(std::span<const std::byte> bytes) noexcept {
    std::uint64_t acc = 0;
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, bytes.data() + i, 8);
        acc ^= w;
    }
    for (; i < bytes.size(); ++i) {
        acc ^= std::to_integer<std::uint64_t>(bytes[i]);
    }
    return acc;
}

} // namespace dicompix::bench
