// SPDX-License-Identifier: BSD-3-Clause
// Typed access to element values (PS3.5 §6.2 value representations, §6.4 value multiplicity).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "dicompix/dataset.hpp"
#include "string_values.hpp"

namespace dicompix {

namespace detail {

void byteswap_in_place(std::byte* p, std::size_t size) noexcept {
    std::reverse(p, p + size);
}

result<std::span<const std::byte>> binary_value(const element& e, std::size_t size, std::size_t index) {
    const std::size_t vr_size = binary_value_size(e.vr());
    const bool untyped = e.vr() == vr::UN || e.vr() == vr::unknown || e.vr() == vr::OB;
    if (vr_size == 0 && !untyped) {
        return failure(errc::invalid_value, "element " + e.tag().to_string() + " with VR " +
                                                std::string(to_string(e.vr())) + " holds no binary numbers");
    }
    if (!untyped && vr_size != size) {
        return failure(errc::invalid_value, "element " + e.tag().to_string() + " with VR " +
                                                std::string(to_string(e.vr())) + " holds " +
                                                std::to_string(vr_size) + "-byte values, not " +
                                                std::to_string(size) + "-byte");
    }
    const auto bytes = e.bytes();
    const std::size_t count = bytes.size() / size;
    if (index >= count) {
        return failure(errc::element_not_found, "element " + e.tag().to_string() + " has " + std::to_string(count) +
                                                    " values, index " + std::to_string(index) + " asked");
    }
    return bytes.subspan(index * size, size);
}

} // namespace detail

namespace {

using detail::is_padding;
using detail::trim;

std::string_view as_chars(std::span<const std::byte> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool treat_as_string(const element& e) noexcept {
    return is_string_vr(e.vr());
}

template <class T>
std::optional<double> numeric_at(const element& e, std::size_t index) {
    auto v = e.get<T>(index);
    if (!v) {
        return std::nullopt;
    }
    return static_cast<double>(*v);
}

} // namespace

std::size_t element::value_count() const noexcept {
    if (is_sequence()) {
        return items_.size();
    }
    if (is_string_vr(vr_)) {
        const std::string_view s = raw_string();
        if (s.empty()) {
            return 0;
        }
        if (!is_multi_valued_string_vr(vr_)) {
            return 1;
        }
        return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\\')) + 1;
    }
    const std::size_t size = binary_value_size(vr_);
    return size == 0 ? bytes().size() : bytes().size() / size;
}

std::string_view element::raw_string() const noexcept {
    std::string_view s = as_chars(bytes());
    while (!s.empty() && is_padding(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

result<std::string_view> element::string(std::size_t index) const {
    if (!treat_as_string(*this)) {
        return failure(errc::invalid_value,
                       "element " + tag_.to_string() + " with VR " + std::string(to_string(vr_)) + " is not a string");
    }
    std::string_view s = as_chars(bytes());
    if (!is_multi_valued_string_vr(vr_)) {
        if (index != 0 || raw_string().empty()) {
            return failure(errc::element_not_found, "element " + tag_.to_string() + " has no value " +
                                                        std::to_string(index));
        }
        return trim(s, vr_);
    }
    std::size_t current = 0;
    for (;;) {
        const std::size_t sep = s.find('\\');
        if (current == index) {
            const std::string_view value = trim(s.substr(0, sep), vr_);
            if (sep == std::string_view::npos && value.empty() && index == 0 && raw_string().empty()) {
                break;
            }
            return value;
        }
        if (sep == std::string_view::npos) {
            break;
        }
        s.remove_prefix(sep + 1);
        ++current;
    }
    return failure(errc::element_not_found,
                   "element " + tag_.to_string() + " has no value " + std::to_string(index));
}

std::vector<std::string_view> element::strings() const {
    std::vector<std::string_view> out;
    if (!treat_as_string(*this) || raw_string().empty()) {
        return out;
    }
    std::string_view s = as_chars(bytes());
    if (!is_multi_valued_string_vr(vr_)) {
        out.push_back(trim(s, vr_));
        return out;
    }
    for (;;) {
        const std::size_t sep = s.find('\\');
        out.push_back(trim(s.substr(0, sep), vr_));
        if (sep == std::string_view::npos) {
            break;
        }
        s.remove_prefix(sep + 1);
    }
    return out;
}

result<double> element::to_double(std::size_t index) const {
    std::optional<double> v;
    switch (vr_) {
    case vr::US: v = numeric_at<std::uint16_t>(*this, index); break;
    case vr::SS: v = numeric_at<std::int16_t>(*this, index); break;
    case vr::UL: v = numeric_at<std::uint32_t>(*this, index); break;
    case vr::SL: v = numeric_at<std::int32_t>(*this, index); break;
    case vr::UV: v = numeric_at<std::uint64_t>(*this, index); break;
    case vr::SV: v = numeric_at<std::int64_t>(*this, index); break;
    case vr::FL: v = numeric_at<float>(*this, index); break;
    case vr::FD: v = numeric_at<double>(*this, index); break;
    case vr::IS:
    case vr::DS: {
        DICOMPIX_TRY(std::string_view s, string(index));
        if (!s.empty() && s.front() == '+') {
            s.remove_prefix(1);
        }
        double d = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(d)) {
            return failure(errc::invalid_value,
                           "element " + tag_.to_string() + " value '" + std::string(s) + "' is not a number");
        }
        return d;
    }
    default:
        return failure(errc::invalid_value,
                       "element " + tag_.to_string() + " with VR " + std::string(to_string(vr_)) + " is not numeric");
    }
    if (!v) {
        return failure(errc::element_not_found,
                       "element " + tag_.to_string() + " has no value " + std::to_string(index));
    }
    return *v;
}

result<std::int64_t> element::to_int(std::size_t index) const {
    switch (vr_) {
    case vr::UV: {
        DICOMPIX_TRY(const std::uint64_t v, get<std::uint64_t>(index));
        if (v > static_cast<std::uint64_t>(INT64_MAX)) {
            return failure(errc::invalid_value, "element " + tag_.to_string() + " value exceeds int64");
        }
        return static_cast<std::int64_t>(v);
    }
    case vr::SV: return get<std::int64_t>(index);
    case vr::IS: {
        DICOMPIX_TRY(std::string_view s, string(index));
        if (!s.empty() && s.front() == '+') {
            s.remove_prefix(1);
        }
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
            // Some writers put a decimal point in IS ("512.0"); accept when integral.
            DICOMPIX_TRY(const double d, to_double(index));
            if (d != std::floor(d) || std::fabs(d) > 9.0e18) {
                return failure(errc::invalid_value,
                               "element " + tag_.to_string() + " value '" + std::string(s) + "' is not an integer");
            }
            return static_cast<std::int64_t>(d);
        }
        return v;
    }
    default: {
        DICOMPIX_TRY(const double d, to_double(index));
        if (d != std::floor(d) || std::fabs(d) > 9.0e18) {
            return failure(errc::invalid_value, "element " + tag_.to_string() + " value is not an integer");
        }
        return static_cast<std::int64_t>(d);
    }
    }
}

result<dicompix::tag> element::to_tag(std::size_t index) const {
    if (vr_ != vr::AT) {
        return failure(errc::invalid_value, "element " + tag_.to_string() + " is not AT");
    }
    // PS3.5 §6.2: AT is a pair of 16-bit unsigned integers, group first.
    DICOMPIX_TRY(const auto bytes, detail::binary_value(*this, 4, index));
    std::uint16_t half[2];
    std::memcpy(half, bytes.data(), 4);
    if (big_endian_ != (std::endian::native == std::endian::big)) {
        detail::byteswap_in_place(reinterpret_cast<std::byte*>(&half[0]), 2);
        detail::byteswap_in_place(reinterpret_cast<std::byte*>(&half[1]), 2);
    }
    return dicompix::tag(half[0], half[1]);
}

namespace {
failure absent(dicompix::tag t) {
    return failure(errc::element_not_found, "element " + t.to_string() + " is absent");
}
} // namespace

result<std::string_view> dataset::string(dicompix::tag t, std::size_t index) const {
    const element* e = find(t);
    if (e == nullptr) {
        return absent(t);
    }
    return e->string(index);
}

result<double> dataset::to_double(dicompix::tag t, std::size_t index) const {
    const element* e = find(t);
    if (e == nullptr) {
        return absent(t);
    }
    return e->to_double(index);
}

result<std::int64_t> dataset::to_int(dicompix::tag t, std::size_t index) const {
    const element* e = find(t);
    if (e == nullptr) {
        return absent(t);
    }
    return e->to_int(index);
}

result<std::string> dataset::text(dicompix::tag t, std::size_t index, bool* exact) const {
    DICOMPIX_TRY(const std::string_view s, string(t, index));
    return decode(s, exact);
}

} // namespace dicompix
