// SPDX-License-Identifier: BSD-3-Clause
// The display pipeline: attributes read once (PS3.3 C.11.1 Modality LUT, C.11.2 VOI LUT, C.11.6
// Presentation LUT, C.7.6.3.1.5 palettes, C.7.6.16 functional groups), folded into one table per frame
// description for integer samples of up to 16 bits, applied by tight loops.
//
// Conventions where the standard leaves room follow DCMTK's dcmimgle (doc/design.md, "Rendering"): 8-bit
// output truncates the continuous VOI output (floor); VOI LUT entries are scaled by 256 / 2^bits; a min-max
// window of integer data is centre (min + max + 1) / 2, width max - min + 1; overlays replace with white.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>

#include "dicompix/parser.hpp"
#include "dicompix/render.hpp"
#include "dicompix/tags.hpp"
#include "render/lut.hpp"
#include "render/overlay.hpp"

namespace dicompix {

std::string_view to_string(voi_function f) noexcept {
    switch (f) {
    case voi_function::linear: return "LINEAR";
    case voi_function::linear_exact: return "LINEAR_EXACT";
    case voi_function::sigmoid: return "SIGMOID";
    }
    return "";
}

// ---- bitmap ------------------------------------------------------------------------------------------------

bitmap::bitmap(std::uint32_t width, std::uint32_t height, std::uint16_t channels, std::uint16_t bit_depth,
               std::pmr::memory_resource* memory)
    : buffer_(0, memory) {
    reset(width, height, channels, bit_depth);
}

void bitmap::reset(std::uint32_t width, std::uint32_t height, std::uint16_t channels, std::uint16_t bit_depth) {
    const std::uint64_t samples = std::uint64_t{width} * height;
    const std::uint64_t bytes_per = std::uint64_t{channels} * (bit_depth > 8 ? 2U : 1U);
    if (samples != 0 && bytes_per > std::numeric_limits<std::size_t>::max() / samples) {
        throw std::bad_alloc();
    }
    const auto needed = static_cast<std::size_t>(samples * bytes_per);
    if (buffer_.size() < needed || buffer_.data() == nullptr) {
        buffer_ = frame_buffer(needed, buffer_.resource());
    }
    width_ = width;
    height_ = height;
    channels_ = channels;
    bit_depth_ = bit_depth;
    significant_bits_ = bit_depth;
    value_offset_ = 0;
}

std::span<std::uint8_t> bitmap::samples8() noexcept {
    if (bit_depth_ != 8) {
        return {};
    }
    return {reinterpret_cast<std::uint8_t*>(buffer_.data()), sample_count()};
}
std::span<const std::uint8_t> bitmap::samples8() const noexcept {
    if (bit_depth_ != 8) {
        return {};
    }
    return {reinterpret_cast<const std::uint8_t*>(buffer_.data()), sample_count()};
}
std::span<std::uint16_t> bitmap::samples16() noexcept {
    if (bit_depth_ != 16) {
        return {};
    }
    return {reinterpret_cast<std::uint16_t*>(buffer_.data()), sample_count()};
}
std::span<const std::uint16_t> bitmap::samples16() const noexcept {
    if (bit_depth_ != 16) {
        return {};
    }
    return {reinterpret_cast<const std::uint16_t*>(buffer_.data()), sample_count()};
}

// ---- pipeline state ----------------------------------------------------------------------------------------

namespace render_detail {

/// Stage 1: stored value -> modality value (PS3.3 C.11.1).
struct modality_stage {
    enum class kind : std::uint8_t { identity, rescale, table };
    kind k{kind::identity};
    double slope{1.0};
    double intercept{0.0};
    std::shared_ptr<const lut> table;
    std::string source{"none"};

    [[nodiscard]] double apply(double x) const noexcept {
        switch (k) {
        case kind::identity: return x;
        case kind::rescale: return x * slope + intercept;
        case kind::table: {
            if (!(x == x)) { // NaN
                return table->entries.front();
            }
            const double c = std::clamp(std::floor(x), -1e12, 1e12);
            return table->at(static_cast<std::int64_t>(c));
        }
        }
        return x;
    }
    /// Output range for stored values in [lo, hi].
    [[nodiscard]] std::pair<double, double> range(double lo, double hi) const noexcept {
        switch (k) {
        case kind::identity: return {lo, hi};
        case kind::rescale: {
            const double a = apply(lo);
            const double b = apply(hi);
            return {std::min(a, b), std::max(a, b)};
        }
        case kind::table: {
            const auto [mn, mx] = std::minmax_element(table->entries.begin(), table->entries.end());
            return {static_cast<double>(*mn), static_cast<double>(*mx)};
        }
        }
        return {lo, hi};
    }
    [[nodiscard]] std::string describe() const {
        std::ostringstream s;
        s.precision(10);
        switch (k) {
        case kind::identity: s << "identity"; break;
        case kind::rescale: s << "rescale(" << slope << "," << intercept << ")@" << source; break;
        case kind::table:
            s << "lut(" << table->entries.size() << ",first=" << table->first << ",bits=" << table->bits << ")@" << source;
            break;
        }
        return s.str();
    }
};

/// The VOI attributes of one level (top-level dataset, shared or per-frame functional group item).
struct voi_list {
    std::vector<window> windows;
    std::vector<bool> window_valid;
    std::vector<std::shared_ptr<const lut>> luts; ///< nullptr where an item was malformed (indices kept)
    std::string source{"top"};
};

/// Values a per-frame functional group item gives for one frame.
struct frame_override {
    std::optional<modality_stage> modality;
    std::optional<voi_list> voi;
};

/// Stage 2 as resolved for one frame.
struct voi_stage {
    enum class kind : std::uint8_t { none, window, table, min_max };
    kind k{kind::none};
    window w;
    std::shared_ptr<const lut> table;
    double none_lo{0.0}; ///< kind none: the modality range scaled to the output
    double none_hi{0.0};
    std::string label;
};

enum class image_kind : std::uint8_t { mono, palette, colour };

/// A combined table: for stored value x, entries [(x - base) & mask] * channels.
struct combined_table {
    std::vector<std::uint8_t> t8;
    std::vector<std::uint16_t> t16;
    std::int32_t base{0};
    std::uint32_t mask{0};
};

struct pipeline_state {
    render_options options;
    frame_info info;
    std::uint32_t frames{1};
    photometric pi{photometric::unknown};
    image_kind kind{image_kind::mono};
    bool invert{false};
    std::string presentation_label{"identity"};
    voi_function file_function{voi_function::linear};
    modality_stage modality;
    voi_list voi;
    std::vector<frame_override> per_frame; ///< empty, or one entry per frame
    std::array<std::shared_ptr<const lut>, 3> palette;
    std::vector<overlay_plane> overlays;
    std::vector<warning> warnings;
    std::optional<combined_table> static_table;
    std::int32_t value_offset{0};
    std::uint16_t significant_bits{8};
    double stored_lo{0.0}; ///< range of stored values (integer data)
    double stored_hi{0.0};
};

namespace {

bool is_small_integer(sample_type t) noexcept {
    return t == sample_type::u8 || t == sample_type::i8 || t == sample_type::u16 || t == sample_type::i16;
}
bool is_float(sample_type t) noexcept { return t == sample_type::f32 || t == sample_type::f64; }

std::string join_path(const std::string& prefix, tag t, std::optional<std::size_t> item = std::nullopt) {
    std::string s = prefix.empty() ? t.to_string() : prefix + "/" + t.to_string();
    if (item) {
        s += "[" + std::to_string(*item) + "]";
    }
    return s;
}

const dataset* first_item(const dataset& ds, tag t) {
    const element* e = ds.find(t);
    if (e == nullptr || e->items().empty()) {
        return nullptr;
    }
    return &e->items().front();
}

/// Modality LUT Sequence or Rescale Slope / Intercept of one level; nullopt when the level has neither.
result<std::optional<modality_stage>> read_modality(const dataset& ds, const std::string& prefix,
                                                    const std::string& source, bool pixel_signed,
                                                    const diagnostics& diag) {
    std::optional<modality_stage> out;
    if (const element* seq = ds.find(tags::ModalityLUTSequence); seq != nullptr && !seq->items().empty()) {
        const dataset& item = seq->items().front();
        const std::string path = join_path(prefix, tags::ModalityLUTSequence, 0);
        const element* d = item.find(tags::LUTDescriptor);
        const element* v = item.find(tags::LUTData);
        if (d == nullptr || v == nullptr) {
            DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut, "Modality LUT Sequence item lacks LUT Descriptor or LUT Data; ignored", path));
        } else {
            // C.11.1.1.1: the first stored value mapped is SS when Pixel Representation is 1.
            auto parsed = parse_lut(*d, *v, pixel_signed, diag, path);
            if (!parsed) {
                DICOMPIX_TRY_VOID(diag.recover(parsed.error().code, "Modality LUT ignored: " + parsed.error().message, path));
            } else {
                if (const element* x = item.find(tags::LUTExplanation); x != nullptr) {
                    parsed->explanation = std::string(x->raw_string());
                }
                modality_stage m;
                m.k = modality_stage::kind::table;
                m.table = std::make_shared<const lut>(std::move(*parsed));
                m.source = source;
                out = std::move(m);
            }
        }
    }
    const element* slope_e = ds.find(tags::RescaleSlope);
    const element* intercept_e = ds.find(tags::RescaleIntercept);
    if (slope_e == nullptr && intercept_e == nullptr) {
        return out;
    }
    if (out) {
        diag.warn("both Modality LUT Sequence and Rescale Slope / Intercept present; the LUT is used", prefix);
        return out;
    }
    if (slope_e == nullptr || intercept_e == nullptr) {
        DICOMPIX_TRY_VOID(diag.recover(errc::render_error,
                                       "Rescale Slope and Rescale Intercept must both be present; rescale ignored", prefix));
        return out;
    }
    const auto slope = number_value(*slope_e);
    const auto intercept = number_value(*intercept_e);
    if (!slope || !intercept) {
        DICOMPIX_TRY_VOID(diag.recover(errc::render_error, "Rescale Slope / Intercept is not a number; rescale ignored",
                                       join_path(prefix, slope ? tags::RescaleIntercept : tags::RescaleSlope)));
        return out;
    }
    if (*slope == 0.0) {
        DICOMPIX_TRY_VOID(diag.recover(errc::render_error, "Rescale Slope is 0; rescale ignored",
                                       join_path(prefix, tags::RescaleSlope)));
        return out;
    }
    modality_stage m;
    m.source = source;
    if (*slope != 1.0 || *intercept != 0.0) {
        m.k = modality_stage::kind::rescale;
        m.slope = *slope;
        m.intercept = *intercept;
    }
    out = std::move(m);
    return out;
}

/// Window Center / Width (with VOI LUT Function and explanations) and the VOI LUT Sequence of one level;
/// nullopt when the level has none of them.
result<std::optional<voi_list>> read_voi(const dataset& ds, const std::string& prefix, const std::string& source,
                                         bool lut_first_signed, voi_function& function, const diagnostics& diag) {
    const element* centers = ds.find(tags::WindowCenter);
    const element* widths = ds.find(tags::WindowWidth);
    const element* luts = ds.find(tags::VOILUTSequence);
    const element* fn = ds.find(tags::VOILUTFunction);
    if (centers == nullptr && widths == nullptr && (luts == nullptr || luts->items().empty())) {
        return std::optional<voi_list>{};
    }
    voi_list list;
    list.source = source;
    if (fn != nullptr) {
        if (auto s = fn->string(); s && !s->empty()) {
            if (!parse_voi_function(*s, function)) {
                DICOMPIX_TRY_VOID(diag.recover(errc::render_error, "VOI LUT Function '" + std::string(*s) +
                                                                       "' is not LINEAR, LINEAR_EXACT or SIGMOID; LINEAR used",
                                               join_path(prefix, tags::VOILUTFunction)));
            }
        }
    }
    if (centers != nullptr || widths != nullptr) {
        const std::size_t nc = centers != nullptr ? number_count(*centers) : 0;
        const std::size_t nw = widths != nullptr ? number_count(*widths) : 0;
        if (nc != nw) {
            DICOMPIX_TRY_VOID(diag.recover(errc::render_error,
                                           "Window Center has " + std::to_string(nc) + " values, Window Width " +
                                               std::to_string(nw) + "; the first " + std::to_string(std::min(nc, nw)) + " pairs are used",
                                           join_path(prefix, tags::WindowCenter)));
        }
        const element* explanations = ds.find(tags::WindowCenterWidthExplanation);
        for (std::size_t i = 0; i < std::min(nc, nw); ++i) {
            window w;
            w.function = function;
            const auto c = number_value(*centers, i);
            const auto wd = number_value(*widths, i);
            bool valid = c.has_value() && wd.has_value();
            if (valid) {
                w.center = *c;
                w.width = *wd;
                valid = window_is_valid(w);
            }
            if (explanations != nullptr) {
                if (auto x = explanations->string(i); x) {
                    w.explanation = std::string(*x);
                }
            }
            if (!valid) {
                DICOMPIX_TRY_VOID(diag.recover(
                    errc::render_error,
                    "window " + std::to_string(i) + " is unusable (" +
                        (c && wd ? "width " + std::to_string(w.width) + (function == voi_function::linear ? " < 1" : " <= 0")
                                 : std::string("not a number")) +
                        "); skipped",
                    join_path(prefix, tags::WindowWidth)));
            }
            list.windows.push_back(std::move(w));
            list.window_valid.push_back(valid);
        }
    }
    if (luts != nullptr) {
        for (std::size_t i = 0; i < luts->items().size(); ++i) {
            const dataset& item = luts->items()[i];
            const std::string path = join_path(prefix, tags::VOILUTSequence, i);
            const element* d = item.find(tags::LUTDescriptor);
            const element* v = item.find(tags::LUTData);
            std::shared_ptr<const lut> table;
            if (d == nullptr || v == nullptr) {
                DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut, "VOI LUT item lacks LUT Descriptor or LUT Data; skipped", path));
            } else if (auto parsed = parse_lut(*d, *v, lut_first_signed, diag, path); !parsed) {
                DICOMPIX_TRY_VOID(diag.recover(parsed.error().code, "VOI LUT skipped: " + parsed.error().message, path));
            } else {
                if (const element* x = item.find(tags::LUTExplanation); x != nullptr) {
                    parsed->explanation = std::string(x->raw_string());
                }
                table = std::make_shared<const lut>(std::move(*parsed));
            }
            list.luts.push_back(std::move(table));
        }
    }
    return std::optional<voi_list>(std::move(list));
}

std::string number(double v) {
    std::ostringstream s;
    s.precision(10);
    s << v;
    return s.str();
}

/// Stage 2 for one frame: the caller's choice applied to the frame's VOI attributes. `fell_back` says the
/// requested window / LUT did not exist and the automatic choice was used instead.
voi_stage resolve_voi(const pipeline_state& s, const voi_list& list, bool& fell_back) {
    fell_back = false;
    const voi_selection& sel = s.options.voi;
    voi_stage v;
    const auto use_window = [&](std::size_t i) {
        v.k = voi_stage::kind::window;
        v.w = list.windows[i];
        if (sel.function) {
            v.w.function = *sel.function;
        }
        v.label = "window(" + number(v.w.center) + "," + number(v.w.width) + "," + std::string(to_string(v.w.function)) +
                  ",file:" + std::to_string(i) + "@" + list.source + ")";
    };
    const auto use_lut = [&](std::size_t i) {
        v.k = voi_stage::kind::table;
        v.table = list.luts[i];
        v.label = "lut(" + std::to_string(i) + "@" + list.source + ")";
    };
    const auto automatic = [&] {
        for (std::size_t i = 0; i < list.windows.size(); ++i) {
            if (list.window_valid[i]) {
                use_window(i);
                return;
            }
        }
        for (std::size_t i = 0; i < list.luts.size(); ++i) {
            if (list.luts[i] != nullptr) {
                use_lut(i);
                return;
            }
        }
        v.k = voi_stage::kind::min_max;
        v.label = "min-max";
    };
    switch (sel.mode) {
    case voi_mode::automatic: automatic(); break;
    case voi_mode::file_window:
        if (sel.index < list.windows.size() && list.window_valid[sel.index]) {
            use_window(sel.index);
        } else {
            fell_back = true;
            automatic();
        }
        break;
    case voi_mode::file_lut:
        if (sel.index < list.luts.size() && list.luts[sel.index] != nullptr) {
            use_lut(sel.index);
        } else {
            fell_back = true;
            automatic();
        }
        break;
    case voi_mode::explicit_window:
        v.k = voi_stage::kind::window;
        v.w.center = sel.center;
        v.w.width = sel.width;
        v.w.function = sel.function.value_or(s.file_function);
        v.label = "window(" + number(v.w.center) + "," + number(v.w.width) + "," + std::string(to_string(v.w.function)) +
                  ",explicit)";
        break;
    case voi_mode::min_max:
        v.k = voi_stage::kind::min_max;
        v.label = "min-max";
        break;
    case voi_mode::none:
        v.k = voi_stage::kind::none;
        v.label = "none";
        break;
    }
    return v;
}

const modality_stage& frame_modality(const pipeline_state& s, std::uint32_t index) {
    if (index < s.per_frame.size() && s.per_frame[index].modality) {
        return *s.per_frame[index].modality;
    }
    return s.modality;
}
const voi_list& frame_voi(const pipeline_state& s, std::uint32_t index) {
    if (index < s.per_frame.size() && s.per_frame[index].voi) {
        return *s.per_frame[index].voi;
    }
    return s.voi;
}

/// The min-max window (DCMTK's convention for integer data: every value of [min, max] gets an equal share of
/// the output; float data: an exact ramp from min to max).
window min_max_window(double lo, double hi, bool integer) {
    window w;
    if (integer) {
        w.function = voi_function::linear;
        w.center = (lo + hi + 1.0) / 2.0;
        w.width = hi - lo + 1.0;
    } else if (hi > lo) {
        w.function = voi_function::linear_exact;
        w.center = (lo + hi) / 2.0;
        w.width = hi - lo;
    } else {
        w.function = voi_function::linear; // one value: all of it at the bottom of the range
        w.center = lo + 1.0;
        w.width = 1.0;
    }
    return w;
}

/// The VOI output in [0, 255] (unclamped) for modality value m; kind min_max must be resolved first.
double voi_output(const voi_stage& v, double m) noexcept {
    switch (v.k) {
    case voi_stage::kind::window: return window_fraction(m, v.w) * 255.0;
    case voi_stage::kind::table: {
        // DCMTK scales a LUT of `bits` to 8 bits by 256 / 2^bits (dimoopxt.h, voilut()).
        const double r = std::clamp(std::floor(m + 0.5), -1e12, 1e12);
        const double e = m == m ? v.table->at(static_cast<std::int64_t>(r)) : v.table->entries.front();
        return e * 256.0 / static_cast<double>(1U << v.table->bits);
    }
    case voi_stage::kind::none:
        return (m - v.none_lo) * 256.0 / (v.none_hi - v.none_lo + 1.0);
    case voi_stage::kind::min_max: return 0.0;
    }
    return 0.0;
}

std::uint8_t quantise8(double y) noexcept {
    if (!(y > 0.0)) {
        return 0; // also NaN
    }
    if (y >= 255.0) {
        return 255;
    }
    return static_cast<std::uint8_t>(y); // truncation, as DCMTK
}

std::uint16_t clamp16(double v) noexcept {
    if (!(v > 0.0)) {
        return 0;
    }
    if (v >= 65535.0) {
        return 65535;
    }
    return static_cast<std::uint16_t>(v);
}

/// The combined table for stored values lo..hi of a monochrome or palette image.
combined_table build_table(const pipeline_state& s, const modality_stage& mod, const voi_stage& voi, std::int32_t lo,
                           std::int32_t hi) {
    combined_table t;
    const auto size = static_cast<std::uint32_t>(std::int64_t{hi} - lo + 1);
    const std::uint32_t capacity = std::bit_ceil(size);
    t.base = lo;
    t.mask = capacity - 1;
    const output_kind out = s.options.output;
    const auto value_at = [&](std::uint32_t i) { return static_cast<double>(std::int64_t{lo} + std::min(i, size - 1)); };
    if (s.kind == image_kind::palette) {
        const bool wide = out != output_kind::display8;
        if (wide) {
            t.t16.resize(std::size_t{capacity} * 3);
        } else {
            t.t8.resize(std::size_t{capacity} * 3);
        }
        for (std::uint32_t i = 0; i < capacity; ++i) {
            const auto x = static_cast<std::int64_t>(value_at(i));
            for (std::size_t c = 0; c < 3; ++c) {
                const lut& p = *s.palette[c];
                const std::uint16_t e = p.at(x);
                if (wide) {
                    t.t16[std::size_t{i} * 3 + c] = static_cast<std::uint16_t>(e << (16U - p.bits));
                } else {
                    // Entries of more than 8 bits keep their high 8 bits (DCMTK: shift by bits - 8).
                    t.t8[std::size_t{i} * 3 + c] = static_cast<std::uint8_t>(e >> (p.bits - 8U));
                }
            }
        }
        return t;
    }
    switch (out) {
    case output_kind::display8:
        t.t8.resize(capacity);
        for (std::uint32_t i = 0; i < capacity; ++i) {
            double y = voi_output(voi, mod.apply(value_at(i)));
            if (s.invert) {
                y = 255.0 - y;
            }
            t.t8[i] = quantise8(y);
        }
        break;
    case output_kind::stored16:
        t.t16.resize(capacity);
        for (std::uint32_t i = 0; i < capacity; ++i) {
            t.t16[i] = clamp16(value_at(i) + s.value_offset);
        }
        break;
    case output_kind::modality16:
        t.t16.resize(capacity);
        for (std::uint32_t i = 0; i < capacity; ++i) {
            t.t16[i] = clamp16(std::floor(mod.apply(value_at(i)) + 0.5) + s.value_offset);
        }
        break;
    }
    return t;
}

template <class In, class Out>
void lookup1(std::span<const In> in, Out* out, const Out* table, std::int32_t base, std::uint32_t mask) noexcept {
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = table[static_cast<std::uint32_t>(static_cast<std::int32_t>(in[i]) - base) & mask];
    }
}

template <class In, class Out>
void lookup3(std::span<const In> in, Out* out, const Out* table, std::int32_t base, std::uint32_t mask) noexcept {
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        const Out* e = table + std::size_t{static_cast<std::uint32_t>(static_cast<std::int32_t>(in[i]) - base) & mask} * 3;
        out[3 * i] = e[0];
        out[3 * i + 1] = e[1];
        out[3 * i + 2] = e[2];
    }
}

template <class T>
std::pair<T, T> min_max(std::span<const T> in) noexcept {
    T lo = in.empty() ? T{} : in[0];
    T hi = lo;
    for (const T v : in) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    return {lo, hi};
}

/// Resolves a min_max stage for one frame from the modality values of its samples.
template <class T>
void resolve_min_max(voi_stage& v, const modality_stage& mod, std::span<const T> in, T lo, T hi) {
    double mlo = 0.0;
    double mhi = 0.0;
    if constexpr (std::is_floating_point_v<T>) {
        bool any = false;
        for (const T x : in) {
            const double m = mod.apply(static_cast<double>(x));
            if (std::isfinite(m)) {
                mlo = any ? std::min(mlo, m) : m;
                mhi = any ? std::max(mhi, m) : m;
                any = true;
            }
        }
        v.w = min_max_window(mlo, mhi, false);
    } else {
        if (mod.k == modality_stage::kind::table) {
            // The LUT need not be monotonic: the extremes of the values actually present.
            bool any = false;
            for (const T x : in) {
                const double m = mod.apply(static_cast<double>(x));
                mlo = any ? std::min(mlo, m) : m;
                mhi = any ? std::max(mhi, m) : m;
                any = true;
            }
        } else {
            std::tie(mlo, mhi) = mod.range(static_cast<double>(lo), static_cast<double>(hi));
        }
        v.w = min_max_window(mlo, mhi, true);
    }
    v.k = voi_stage::kind::window;
}

result<void> convert_colour(photometric pi, std::span<std::byte> bytes, sample_type type, std::uint16_t precision) {
    switch (pi) {
    case photometric::rgb: return {};
    case photometric::ybr_full:
    case photometric::ybr_full_422: ybr_full_to_rgb(bytes, type, precision); return {};
    case photometric::ybr_partial_420:
    case photometric::ybr_partial_422: ybr_partial_to_rgb(bytes, type, precision); return {};
    case photometric::ybr_ict: ybr_ict_to_rgb(bytes, type, precision); return {};
    case photometric::ybr_rct: ybr_rct_to_rgb(bytes, type, precision); return {};
    default:
        return failure(errc::render_error, "cannot convert " + std::string(to_string(pi)) + " to RGB");
    }
}

} // namespace
} // namespace render_detail

// ---- create ------------------------------------------------------------------------------------------------

namespace {

using namespace render_detail;

result<std::shared_ptr<const pipeline_state>> build(const dataset& ds, const pixel_description& desc,
                                                     const render_options& options, const native_pixels& native,
                                                     const std::shared_ptr<const void>& keepalive) {
    auto s = std::make_shared<pipeline_state>();
    s->options = options;
    s->info = desc.frame;
    s->frames = desc.number_of_frames;
    s->pi = desc.frame.photometric_interpretation;
    const diagnostics diag{&s->warnings, options.strict};
    const frame_info& info = s->info;
    const sample_type type = info.type();

    switch (s->pi) {
    case photometric::monochrome1:
    case photometric::monochrome2: s->kind = image_kind::mono; break;
    case photometric::palette_color: s->kind = image_kind::palette; break;
    case photometric::rgb: case photometric::ybr_full: case photometric::ybr_full_422:
    case photometric::ybr_partial_420: case photometric::ybr_partial_422: case photometric::ybr_ict:
    case photometric::ybr_rct:
        s->kind = image_kind::colour;
        break;
    default:
        return failure(errc::render_error, "cannot render Photometric Interpretation '" + desc.photometric_text + "'");
    }
    if (s->kind != image_kind::colour && info.samples_per_pixel != 1) {
        return failure(errc::render_error, "a monochrome or palette image must have 1 sample per pixel");
    }
    if (s->kind == image_kind::colour && info.samples_per_pixel != 3) {
        return failure(errc::render_error, "a colour image must have 3 samples per pixel");
    }
    if (options.output != output_kind::display8 && is_float(type)) {
        return failure(errc::invalid_argument, "16-bit output needs integer pixel data");
    }
    if (options.output != output_kind::display8 && info.bits_stored > 16 && s->kind != image_kind::colour) {
        return failure(errc::invalid_argument, "16-bit output needs at most 16 bits stored");
    }

    const bool integer = !is_float(type);
    if (integer) {
        const int bs = std::clamp<int>(info.bits_stored, 1, 32);
        if (info.is_signed) {
            s->stored_lo = -std::ldexp(1.0, bs - 1);
            s->stored_hi = std::ldexp(1.0, bs - 1) - 1.0;
        } else {
            s->stored_lo = 0.0;
            s->stored_hi = std::ldexp(1.0, bs) - 1.0;
        }
    }

    if (s->kind == image_kind::mono) {
        // Modality LUT (C.11.1), then the VOI attributes (C.11.2), top level first; the Shared Functional Groups
        // replace them for every frame, the Per-frame Functional Groups for their frame (C.7.6.16).
        if (options.modality) {
            DICOMPIX_TRY(auto m, read_modality(ds, "", "top", info.is_signed, diag));
            if (m) {
                s->modality = std::move(*m);
            }
        }
        voi_function function = voi_function::linear;
        const auto lut_signed = [&](const modality_stage& m) {
            return integer && m.range(s->stored_lo, s->stored_hi).first < 0.0;
        };
        DICOMPIX_TRY(auto v, read_voi(ds, "", "top", lut_signed(s->modality), function, diag));
        s->file_function = function;
        if (v) {
            s->voi = std::move(*v);
        }
        if (const dataset* shared = first_item(ds, tags::SharedFunctionalGroupsSequence); shared != nullptr) {
            const std::string base = join_path("", tags::SharedFunctionalGroupsSequence, 0);
            if (const dataset* pvt = first_item(*shared, tags::PixelValueTransformationSequence);
                pvt != nullptr && options.modality) {
                DICOMPIX_TRY(auto m, read_modality(*pvt, join_path(base, tags::PixelValueTransformationSequence, 0),
                                                   "shared", info.is_signed, diag));
                if (m) {
                    s->modality = std::move(*m);
                }
            }
            if (const dataset* fv = first_item(*shared, tags::FrameVOILUTSequence); fv != nullptr) {
                voi_function f = s->file_function;
                DICOMPIX_TRY(auto sv, read_voi(*fv, join_path(base, tags::FrameVOILUTSequence, 0), "shared",
                                               lut_signed(s->modality), f, diag));
                if (sv) {
                    s->voi = std::move(*sv);
                }
            }
        }
        if (const element* pf = ds.find(tags::PerFrameFunctionalGroupsSequence); pf != nullptr && !pf->items().empty()) {
            const auto& items = pf->items();
            if (items.size() != s->frames) {
                diag.warn("Per-frame Functional Groups Sequence has " + std::to_string(items.size()) + " items for " +
                              std::to_string(s->frames) + " frames",
                          tags::PerFrameFunctionalGroupsSequence.to_string());
            }
            std::vector<frame_override> overrides(std::min<std::size_t>(items.size(), s->frames));
            bool any = false;
            for (std::size_t i = 0; i < overrides.size(); ++i) {
                const std::string base = join_path("", tags::PerFrameFunctionalGroupsSequence, i);
                if (const dataset* pvt = first_item(items[i], tags::PixelValueTransformationSequence);
                    pvt != nullptr && options.modality) {
                    DICOMPIX_TRY(auto m, read_modality(*pvt, join_path(base, tags::PixelValueTransformationSequence, 0),
                                                       "frame", info.is_signed, diag));
                    if (m) {
                        overrides[i].modality = std::move(*m);
                        any = true;
                    }
                }
                if (const dataset* fv = first_item(items[i], tags::FrameVOILUTSequence); fv != nullptr) {
                    voi_function f = s->file_function;
                    const modality_stage& m = overrides[i].modality ? *overrides[i].modality : s->modality;
                    DICOMPIX_TRY(auto sv, read_voi(*fv, join_path(base, tags::FrameVOILUTSequence, 0), "frame",
                                                   lut_signed(m), f, diag));
                    if (sv) {
                        overrides[i].voi = std::move(*sv);
                        any = true;
                    }
                }
            }
            if (any) {
                s->per_frame = std::move(overrides);
            }
        }

        // Presentation LUT Shape (C.11.6.1.2). MONOCHROME1 is displayed inverted: its minimum is white
        // (C.7.6.3.1.2); a file's INVERSE on MONOCHROME1 says the same thing, not a second inversion.
        bool shape_inverse = false;
        if (const element* shape = ds.find(tags::PresentationLUTShape); shape != nullptr) {
            if (auto t = shape->string(); t && !t->empty()) {
                if (*t == "INVERSE") {
                    shape_inverse = true;
                } else if (*t != "IDENTITY") {
                    DICOMPIX_TRY_VOID(diag.recover(errc::render_error,
                                                   "Presentation LUT Shape '" + std::string(*t) + "' is not IDENTITY or INVERSE; ignored",
                                                   tags::PresentationLUTShape.to_string()));
                }
            }
        }
        switch (options.presentation) {
        case presentation_shape::from_file:
            s->invert = s->pi == photometric::monochrome1 || shape_inverse;
            break;
        case presentation_shape::identity: s->invert = false; break;
        case presentation_shape::inverse: s->invert = true; break;
        }
        s->presentation_label = s->invert ? "inverse" : "identity";

        if (options.voi.mode == voi_mode::explicit_window) {
            window w;
            w.center = options.voi.center;
            w.width = options.voi.width;
            w.function = options.voi.function.value_or(s->file_function);
            if (!window_is_valid(w)) {
                return failure(errc::invalid_argument, "window width " + number(w.width) +
                                                           (w.function == voi_function::linear ? " is < 1 (LINEAR)" : " is <= 0"));
            }
        }
        // An explicit choice of a window or LUT the file lacks: the automatic choice, with one warning.
        if (options.voi.mode == voi_mode::file_window || options.voi.mode == voi_mode::file_lut) {
            std::uint32_t missing = 0;
            bool fell_back = false;
            (void)resolve_voi(*s, s->voi, fell_back);
            missing += fell_back ? 1U : 0U;
            for (const frame_override& o : s->per_frame) {
                if (o.voi) {
                    (void)resolve_voi(*s, *o.voi, fell_back);
                    missing += fell_back ? 1U : 0U;
                }
            }
            if (missing != 0) {
                DICOMPIX_TRY_VOID(diag.recover(errc::render_error,
                                               std::string("the file has no ") +
                                                   (options.voi.mode == voi_mode::file_window ? "window " : "VOI LUT ") +
                                                   std::to_string(options.voi.index) + "; using the automatic choice"));
            }
        }
    } else if (s->kind == image_kind::palette) {
        if (!integer || info.bits_stored > 16) {
            return failure(errc::render_error, "PALETTE COLOR needs integer samples of at most 16 bits");
        }
        static constexpr std::array<tag, 3> descriptors{tags::RedPaletteColorLookupTableDescriptor,
                                                        tags::GreenPaletteColorLookupTableDescriptor, tags::BluePaletteColorLookupTableDescriptor};
        static constexpr std::array<tag, 3> data{tags::RedPaletteColorLookupTableData, tags::GreenPaletteColorLookupTableData,
                                                 tags::BluePaletteColorLookupTableData};
        static constexpr std::array<tag, 3> segmented{tags::SegmentedRedPaletteColorLookupTableData,
                                                      tags::SegmentedGreenPaletteColorLookupTableData,
                                                      tags::SegmentedBluePaletteColorLookupTableData};
        for (std::size_t c = 0; c < 3; ++c) {
            const element* d = ds.find(descriptors[c]);
            const element* v = ds.find(data[c]);
            const element* sv = ds.find(segmented[c]);
            if (d == nullptr) {
                return failure(errc::invalid_lut, "PALETTE COLOR image without " + descriptors[c].to_string() +
                                                      " Palette Color Lookup Table Descriptor");
            }
            result<lut> parsed = failure(errc::invalid_lut, "PALETTE COLOR image without Palette Color Lookup Table Data " +
                                                                data[c].to_string());
            if (v != nullptr && !v->bytes().empty()) {
                // C.7.6.3.1.5: the first value mapped is unsigned unless Pixel Representation is 1.
                parsed = parse_lut(*d, *v, info.is_signed, diag, data[c].to_string());
            } else if (sv != nullptr && !sv->bytes().empty()) {
                parsed = parse_segmented_lut(*d, *sv, diag, segmented[c].to_string());
            }
            if (!parsed) {
                return failure(std::move(parsed).error());
            }
            s->palette[c] = std::make_shared<const lut>(std::move(*parsed));
        }
        if (options.output != output_kind::display8) {
            s->significant_bits = 16;
        }
    } else if (is_float(type)) {
        return failure(errc::render_error, "colour images need integer samples");
    }

    // 16-bit outputs of monochrome images: where values can be negative, they are offset by 32768.
    if (s->kind == image_kind::mono && options.output == output_kind::stored16) {
        s->value_offset = s->stored_lo < 0.0 ? 32768 : 0;
        s->significant_bits = static_cast<std::uint16_t>(s->value_offset != 0 ? 16 : std::min<int>(info.bits_stored, 16));
    } else if (s->kind == image_kind::mono && options.output == output_kind::modality16) {
        bool negative = s->modality.range(s->stored_lo, s->stored_hi).first < 0.0;
        for (const frame_override& o : s->per_frame) {
            if (o.modality) {
                negative = negative || o.modality->range(s->stored_lo, s->stored_hi).first < 0.0;
            }
        }
        s->value_offset = negative ? 32768 : 0;
        s->significant_bits = 16;
    }

    if (options.overlays && options.output == output_kind::display8) {
        DICOMPIX_TRY(s->overlays, read_overlays(ds, info, s->frames, native, keepalive, diag));
    }

    // One table for every frame when nothing depends on the frame.
    if (is_small_integer(type) && s->kind != image_kind::colour) {
        bool fell_back = false;
        voi_stage v = s->kind == image_kind::mono ? resolve_voi(*s, s->voi, fell_back) : voi_stage{};
        if (v.k == voi_stage::kind::none) {
            std::tie(v.none_lo, v.none_hi) = s->modality.range(s->stored_lo, s->stored_hi);
        }
        const bool frame_dependent = s->kind == image_kind::mono &&
                                     (!s->per_frame.empty() ||
                                      (v.k == voi_stage::kind::min_max && options.output == output_kind::display8));
        if (!frame_dependent) {
            s->static_table = build_table(*s, s->modality, v, static_cast<std::int32_t>(s->stored_lo),
                                          static_cast<std::int32_t>(s->stored_hi));
        }
    }
    return std::shared_ptr<const pipeline_state>(std::move(s));
}

} // namespace

result<display_pipeline> display_pipeline::create(const dataset& ds, const pixel_description& description,
                                                  const render_options& options) {
    display_pipeline p;
    DICOMPIX_TRY(p.state_, build(ds, description, options, native_pixels{}, nullptr));
    return p;
}

result<display_pipeline> display_pipeline::create(const dicom_file& file, const pixel_data& pixels,
                                                  const render_options& options) {
    native_pixels native;
    if (!pixels.encapsulated()) {
        native.bytes = pixels.native_bytes();
        native.big_endian = pixels.native_big_endian();
        native.keepalive = file.source().owner();
    }
    display_pipeline p;
    DICOMPIX_TRY(p.state_, build(file.dataset(), pixels.description(), options, native, file.source().owner()));
    return p;
}

const std::vector<warning>& display_pipeline::warnings() const noexcept {
    static const std::vector<warning> none;
    return state_ ? state_->warnings : none;
}

output_kind display_pipeline::output() const noexcept {
    return state_ ? state_->options.output : output_kind::display8;
}

std::string display_pipeline::describe(std::uint32_t index) const {
    if (!state_) {
        return "invalid";
    }
    const pipeline_state& s = *state_;
    std::string d;
    switch (s.kind) {
    case image_kind::mono: {
        bool fell_back = false;
        const voi_stage v = resolve_voi(s, frame_voi(s, index), fell_back);
        d = "modality=" + frame_modality(s, index).describe();
        if (s.options.output == output_kind::display8) {
            d += " voi=" + v.label + " presentation=" + s.presentation_label;
        }
        break;
    }
    case image_kind::palette:
        d = "palette(" + std::to_string(s.palette[0]->entries.size()) + ",first=" + std::to_string(s.palette[0]->first) +
            ",bits=" + std::to_string(s.palette[0]->bits) + ")";
        break;
    case image_kind::colour: d = "colour(" + std::string(to_string(s.pi)) + ")"; break;
    }
    d += " output=";
    d += s.options.output == output_kind::display8 ? "display8" : s.options.output == output_kind::stored16 ? "stored16" : "modality16";
    if (s.value_offset != 0) {
        d += "+" + std::to_string(s.value_offset);
    }
    d += " overlays=" + std::to_string(s.overlays.size());
    return d;
}

// ---- render ------------------------------------------------------------------------------------------------

result<bitmap> display_pipeline::render(const any_frame& frame) const {
    bitmap out;
    DICOMPIX_TRY_VOID(render(frame, out));
    return out;
}

result<void> display_pipeline::render(const any_frame& frame, bitmap& out) const {
    if (!state_) {
        return failure(errc::invalid_argument, "the display pipeline was not created");
    }
    const pipeline_state& s = *state_;
    const frame_info& info = s.info;
    if (frame.rows() != info.rows || frame.columns() != info.columns || frame.samples_per_pixel() != info.samples_per_pixel ||
        frame.type() != info.type()) {
        return failure(errc::invalid_argument, "the frame's shape or sample type differs from the pixel description");
    }
    const std::uint32_t index = frame.meta().index;
    const std::uint32_t width = info.columns;
    const std::uint32_t height = info.rows;
    const bool wide = s.options.output != output_kind::display8;
    const std::uint16_t depth = wide ? 16 : 8;

    auto status = frame.visit([&](const auto& f) -> result<void> {
        using T = typename std::remove_cvref_t<decltype(f)>::value_type;
        const std::span<const T> in = f.samples();
        if (s.kind == image_kind::colour) {
            if constexpr (std::is_floating_point_v<T>) {
                return failure(errc::render_error, "colour images need integer samples");
            } else {
                using U = std::make_unsigned_t<T>;
                const photometric pi = f.photometric_interpretation() == photometric::unknown ? s.pi
                                                                                             : f.photometric_interpretation();
                const int bs = std::clamp<int>(info.bits_stored, 1, static_cast<int>(sizeof(T) * 8));
                const U offset = std::is_signed_v<T> ? static_cast<U>(U{1} << (bs - 1)) : U{0};
                out.reset(width, height, 3, depth);
                if constexpr (sizeof(T) == 1) {
                    if (!wide) {
                        auto dst = out.samples8();
                        for (std::size_t i = 0; i < in.size(); ++i) {
                            dst[i] = static_cast<std::uint8_t>(static_cast<U>(in[i]) + offset);
                        }
                        std::span<std::byte> bytes(reinterpret_cast<std::byte*>(dst.data()), dst.size());
                        DICOMPIX_TRY_VOID(convert_colour(pi, bytes, sample_type::u8, static_cast<std::uint16_t>(bs)));
                        if (bs < 8) {
                            const double scale = 255.0 / (std::ldexp(1.0, bs) - 1.0);
                            for (auto& v : dst) {
                                v = static_cast<std::uint8_t>(std::min(255.0, v * scale));
                            }
                        }
                        return {};
                    }
                }
                // Wider samples (or 16-bit output): convert at the stored precision, then scale.
                std::vector<U> tmp(in.size());
                for (std::size_t i = 0; i < in.size(); ++i) {
                    tmp[i] = static_cast<U>(static_cast<U>(in[i]) + offset);
                }
                constexpr sample_type ut = sizeof(U) == 1 ? sample_type::u8 : sizeof(U) == 2 ? sample_type::u16 : sample_type::u32;
                if constexpr (sizeof(U) <= 4) {
                    std::span<std::byte> bytes(reinterpret_cast<std::byte*>(tmp.data()), tmp.size() * sizeof(U));
                    DICOMPIX_TRY_VOID(convert_colour(pi, bytes, ut, static_cast<std::uint16_t>(bs)));
                } else if (pi != photometric::rgb) {
                    return failure(errc::render_error, "colour conversion of 64-bit samples is not supported");
                }
                if (!wide) {
                    auto dst = out.samples8();
                    if (bs >= 8) {
                        const int shift = bs - 8; // DCMTK: reduce depth by shifting (dicoopxt.h)
                        for (std::size_t i = 0; i < tmp.size(); ++i) {
                            dst[i] = static_cast<std::uint8_t>(std::min<std::uint64_t>(std::uint64_t{tmp[i]} >> shift, 255));
                        }
                    } else {
                        const double scale = 255.0 / (std::ldexp(1.0, bs) - 1.0);
                        for (std::size_t i = 0; i < tmp.size(); ++i) {
                            dst[i] = static_cast<std::uint8_t>(std::min(255.0, static_cast<double>(tmp[i]) * scale));
                        }
                    }
                } else {
                    auto dst = out.samples16();
                    const int shift = bs > 16 ? bs - 16 : 0;
                    for (std::size_t i = 0; i < tmp.size(); ++i) {
                        dst[i] = static_cast<std::uint16_t>(std::min<std::uint64_t>(std::uint64_t{tmp[i]} >> shift, 65535));
                    }
                    out.set_significant_bits(static_cast<std::uint16_t>(std::min(bs, 16)));
                }
                return {};
            }
        } else {
            const std::uint16_t channels = s.kind == image_kind::palette ? 3 : 1;
            if constexpr (std::is_integral_v<T> && sizeof(T) <= 2) {
                const combined_table* table = nullptr;
                combined_table local;
                if (s.static_table) {
                    table = &*s.static_table; // built only when no frame has values of its own
                } else {
                    // Per-frame values or a min-max window: a table over the values present in this frame.
                    const auto [lo, hi] = min_max(in);
                    const modality_stage& mod = frame_modality(s, index);
                    bool fell_back = false;
                    voi_stage v = resolve_voi(s, frame_voi(s, index), fell_back);
                    if (v.k == voi_stage::kind::min_max) {
                        resolve_min_max<T>(v, mod, in, lo, hi);
                    } else if (v.k == voi_stage::kind::none) {
                        std::tie(v.none_lo, v.none_hi) = mod.range(s.stored_lo, s.stored_hi);
                    }
                    local = build_table(s, mod, v, static_cast<std::int32_t>(lo), static_cast<std::int32_t>(hi));
                    table = &local;
                }
                out.reset(width, height, channels, depth);
                if (!wide) {
                    if (channels == 1) {
                        lookup1<T, std::uint8_t>(in, out.samples8().data(), table->t8.data(), table->base, table->mask);
                    } else {
                        lookup3<T, std::uint8_t>(in, out.samples8().data(), table->t8.data(), table->base, table->mask);
                    }
                } else {
                    if (channels == 1) {
                        lookup1<T, std::uint16_t>(in, out.samples16().data(), table->t16.data(), table->base, table->mask);
                    } else {
                        lookup3<T, std::uint16_t>(in, out.samples16().data(), table->t16.data(), table->base, table->mask);
                    }
                }
            } else {
                if (s.kind == image_kind::palette) {
                    return failure(errc::render_error, "PALETTE COLOR needs integer samples of at most 16 bits");
                }
                // 32/64-bit integers and floats: arithmetic per sample.
                const modality_stage& mod = frame_modality(s, index);
                bool fell_back = false;
                voi_stage v = resolve_voi(s, frame_voi(s, index), fell_back);
                if (v.k == voi_stage::kind::min_max) {
                    const auto [lo, hi] = min_max(in);
                    resolve_min_max<T>(v, mod, in, lo, hi);
                } else if (v.k == voi_stage::kind::none) {
                    if constexpr (std::is_floating_point_v<T>) {
                        const auto [lo, hi] = min_max(in);
                        std::tie(v.none_lo, v.none_hi) = mod.range(static_cast<double>(lo), static_cast<double>(hi));
                    } else {
                        std::tie(v.none_lo, v.none_hi) = mod.range(s.stored_lo, s.stored_hi);
                    }
                }
                out.reset(width, height, 1, depth);
                if (!wide) {
                    auto dst = out.samples8();
                    for (std::size_t i = 0; i < in.size(); ++i) {
                        double y = voi_output(v, mod.apply(static_cast<double>(in[i])));
                        if (s.invert) {
                            y = 255.0 - y;
                        }
                        dst[i] = quantise8(y);
                    }
                } else {
                    auto dst = out.samples16();
                    const bool stored = s.options.output == output_kind::stored16;
                    for (std::size_t i = 0; i < in.size(); ++i) {
                        const double x = static_cast<double>(in[i]);
                        dst[i] = clamp16(std::floor((stored ? x : mod.apply(x)) + 0.5) + s.value_offset);
                    }
                }
            }
            if (wide) {
                out.set_significant_bits(s.significant_bits);
                out.set_value_offset(s.value_offset);
            }
            return {};
        }
    });
    if (!status) {
        return status;
    }
    if (!wide) {
        for (const overlay_plane& p : s.overlays) {
            burn_in(p, index, out);
        }
    }
    return {};
}

} // namespace dicompix
