// SPDX-License-Identifier: BSD-3-Clause
#include "dicompix/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "dicompix/dictionary.hpp"

namespace dicompix {

element::element(dicompix::tag t, dicompix::vr v, std::span<const std::byte> value, bool big_endian)
    : view_(value), tag_(t), vr_(v), big_endian_(big_endian) {
    declared_length_ = static_cast<std::uint32_t>(value.size());
}

element element::owning(dicompix::tag t, dicompix::vr v, std::vector<std::byte> value, bool big_endian) {
    element e(t, v, {}, big_endian);
    e.declared_length_ = static_cast<std::uint32_t>(value.size());
    e.owned_ = std::move(value);
    return e;
}

element element::from_string(dicompix::tag t, dicompix::vr v, std::string_view value) {
    std::vector<std::byte> bytes(value.size() + (value.size() & 1U));
    if (!value.empty()) {
        std::memcpy(bytes.data(), value.data(), value.size());
    }
    if ((value.size() & 1U) != 0) {
        // PS3.5 §6.2: UI values are padded with NUL, other strings with space.
        bytes.back() = v == vr::UI ? std::byte{0} : std::byte{' '};
    }
    return owning(t, v, std::move(bytes));
}

element element::sequence(dicompix::tag t, std::vector<dataset> items) {
    element e(t, vr::SQ, {});
    e.items_ = std::move(items);
    e.declared_length_ = undefined_length;
    return e;
}

void element::set_encapsulated(encapsulated_pixel_data data) {
    encapsulated_ = std::make_shared<encapsulated_pixel_data>(std::move(data));
    declared_length_ = undefined_length;
}

const element* dataset::find(dicompix::tag t) const noexcept {
    if (sorted_) {
        const auto it = std::lower_bound(elements_.begin(), elements_.end(), t,
                                         [](const element& e, dicompix::tag key) { return e.tag() < key; });
        return it != elements_.end() && it->tag() == t ? &*it : nullptr;
    }
    const auto it = std::find_if(elements_.begin(), elements_.end(), [t](const element& e) { return e.tag() == t; });
    return it != elements_.end() ? &*it : nullptr;
}

element* dataset::find(dicompix::tag t) noexcept {
    return const_cast<element*>(std::as_const(*this).find(t));
}

const element* dataset::find(std::span<const path_step> path) const noexcept {
    const dataset* current = this;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const element* e = current->find(path[i].tag);
        if (e == nullptr) {
            return nullptr;
        }
        if (i + 1 == path.size()) {
            return e;
        }
        if (path[i].item >= e->items().size()) {
            return nullptr;
        }
        current = &e->items()[path[i].item];
    }
    return nullptr;
}

namespace {

bool parse_hex_tag(std::string_view s, dicompix::tag& out) {
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return false;
    }
    out = dicompix::tag(value);
    return true;
}

bool parse_step_tag(std::string_view s, dicompix::tag& out) {
    if (s.size() == 11 && s.front() == '(' && s.back() == ')' && s[5] == ',') {
        std::string hex(s.substr(1, 4));
        hex += s.substr(6, 4);
        return parse_hex_tag(hex, out);
    }
    if (s.size() == 8 && parse_hex_tag(s, out)) {
        return true;
    }
    const dictionary_entry* entry = find_entry(s);
    if (entry == nullptr || entry->mask != 0xFFFFFFFFU) {
        return false;
    }
    out = dicompix::tag(entry->tag);
    return true;
}

} // namespace

result<const element*> dataset::at(std::string_view path) const {
    std::vector<path_step> steps;
    while (!path.empty()) {
        // A tag "(gggg,eeee)" contains a comma but no separator, so split on '/' or '.' outside parens.
        std::size_t end = 0;
        int depth = 0;
        for (; end < path.size(); ++end) {
            const char c = path[end];
            if (c == '(') {
                ++depth;
            } else if (c == ')') {
                --depth;
            } else if (depth == 0 && (c == '/' || c == '.')) {
                break;
            }
        }
        std::string_view step = path.substr(0, end);
        path = end < path.size() ? path.substr(end + 1) : std::string_view{};
        path_step ps{};
        if (const auto bracket = step.find('['); bracket != std::string_view::npos) {
            if (step.back() != ']') {
                return failure(errc::invalid_argument, "bad item index in path step '" + std::string(step) + "'");
            }
            const std::string_view index = step.substr(bracket + 1, step.size() - bracket - 2);
            const auto [p, ec] = std::from_chars(index.data(), index.data() + index.size(), ps.item);
            if (ec != std::errc{} || p != index.data() + index.size()) {
                return failure(errc::invalid_argument, "bad item index in path step '" + std::string(step) + "'");
            }
            step = step.substr(0, bracket);
        }
        if (!parse_step_tag(step, ps.tag)) {
            return failure(errc::invalid_argument, "unknown tag or keyword '" + std::string(step) + "' in path");
        }
        steps.push_back(ps);
    }
    if (steps.empty()) {
        return failure(errc::invalid_argument, "empty path");
    }
    const element* e = find(steps);
    if (e == nullptr) {
        return failure(errc::element_not_found, "no element at " + to_string(steps));
    }
    return e;
}

element& dataset::set(element e) {
    if (!sorted_) {
        std::stable_sort(elements_.begin(), elements_.end(),
                         [](const element& a, const element& b) { return a.tag() < b.tag(); });
        sorted_ = true;
    }
    const auto it = std::lower_bound(elements_.begin(), elements_.end(), e.tag(),
                                     [](const element& x, dicompix::tag key) { return x.tag() < key; });
    if (it != elements_.end() && it->tag() == e.tag()) {
        *it = std::move(e);
        return *it;
    }
    return *elements_.insert(it, std::move(e));
}

bool dataset::erase(dicompix::tag t) {
    const element* e = find(t);
    if (e == nullptr) {
        return false;
    }
    elements_.erase(elements_.begin() + (e - elements_.data()));
    return true;
}

void dataset::push_back_unordered(element e) {
    if (!elements_.empty() && !(elements_.back().tag() < e.tag())) {
        sorted_ = false;
    }
    elements_.push_back(std::move(e));
}

std::string to_string(std::span<const path_step> path) {
    std::string s;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (i != 0) {
            s += '/';
        }
        s += path[i].tag.to_string();
        if (i + 1 < path.size()) {
            s += '[' + std::to_string(path[i].item) + ']';
        }
    }
    return s;
}

} // namespace dicompix
