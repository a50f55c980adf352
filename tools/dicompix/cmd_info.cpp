// SPDX-License-Identifier: BSD-3-Clause
// `dicompix info FILE`: what a file holds and how its pixels would be read.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "dicompix/codec.hpp"
#include "dicompix/dataset.hpp"
#include "dicompix/dictionary.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::cli {

namespace {

constexpr std::array<option_spec, 3> info_options{{
    {"json", "", "write the summary as one JSON object"},
    {"strict", "", "parse strictly (and index pixel data strictly)"},
    {"frames", "N", "list the fragments of the first N frames of encapsulated pixel data (default 8)"},
}};

constexpr command_spec info_spec{
    "info", "FILE",
    "Summarise a DICOM file: transfer syntax, SOP class, image geometry, pixel data layout and the\n"
    "codec that would decode it. Parser and pixel-indexing warnings are listed at the end.",
    info_options};

/// One line of the summary: a label for people, a key for --json, and a value (a JSON number when
/// `number`, else a string).
struct field {
    std::string_view label;
    std::string_view key;
    std::string value;
    bool number{false};
    std::string name{}; ///< for a UID: its registered name; --json writes {"uid": value, "name": name}
};

class summary {
public:
    void text(std::string_view label, std::string_view key, std::string value) {
        fields_.push_back(field{label, key, std::move(value), false});
    }
    template <class T>
    void number(std::string_view label, std::string_view key, T value) {
        fields_.push_back(field{label, key, std::to_string(value), true});
    }
    /// A UID and its PS3.6 name (when registered).
    void uid(std::string_view label, std::string_view key, std::string_view value) {
        field f{label, key, std::string(value), false};
        if (const uid_entry* u = find_uid(value); u != nullptr) {
            f.name = u->name;
            if (u->retired) {
                f.name += " (retired)";
            }
        }
        fields_.push_back(std::move(f));
    }
    void warning_line(std::string s) { warnings_.push_back(std::move(s)); }
    void frame_line(std::string s) { frames_.push_back(std::move(s)); }

    [[nodiscard]] std::string as_text() const {
        std::string s;
        for (const field& f : fields_) {
            s += f.label;
            s += ':';
            s.append(f.label.size() < 23 ? 23 - f.label.size() : 1, ' ');
            append_escaped(s, f.value);
            if (!f.name.empty()) {
                s += " (";
                s += f.name;
                s += ')';
            }
            s += '\n';
            if (f.key == "frame_index_method") {
                for (const std::string& line : frames_) {
                    s += "  frame ";
                    s += line;
                    s += '\n';
                }
            }
        }
        s += "warnings:               " + std::to_string(warnings_.size()) + "\n";
        for (const std::string& w : warnings_) {
            s += "  - ";
            append_escaped(s, w);
            s += '\n';
        }
        return s;
    }

    [[nodiscard]] std::string as_json() const {
        std::string s = "{";
        for (const field& f : fields_) {
            append_json_string(s, f.key);
            s += ": ";
            if (f.number) {
                s += f.value;
            } else if (!f.name.empty()) {
                s += "{\"uid\": ";
                append_json_string(s, f.value);
                s += ", \"name\": ";
                append_json_string(s, f.name);
                s += '}';
            } else {
                append_json_string(s, f.value);
            }
            s += ", ";
        }
        list(s, "frames", frames_);
        s += ", ";
        list(s, "warnings", warnings_);
        s += "}\n";
        return s;
    }

private:
    static void list(std::string& s, std::string_view key, const std::vector<std::string>& values) {
        append_json_string(s, key);
        s += ": [";
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i != 0) {
                s += ", ";
            }
            append_json_string(s, values[i]);
        }
        s += ']';
    }

    std::vector<field> fields_;
    std::vector<std::string> warnings_;
    std::vector<std::string> frames_;
};

std::string warning_text(const warning& w) {
    std::string s;
    if (w.offset != ~std::uint64_t{0}) {
        s += "at byte " + std::to_string(w.offset) + " ";
    }
    if (!w.tag_path.empty()) {
        s += "in " + w.tag_path + " ";
    }
    return s + w.message;
}

/// A value of the dataset as text, or empty when absent.
std::string value_text(const dataset& ds, tag t) {
    const element* e = ds.find(t);
    if (e == nullptr) {
        return {};
    }
    if (is_string_vr(e->vr())) {
        return std::string(e->raw_string());
    }
    if (auto n = e->to_int(); n) {
        return std::to_string(*n);
    }
    return {};
}

void image_pixel_module(summary& out, const dataset& ds) {
    struct item {
        std::string_view label;
        std::string_view key;
        tag t;
    };
    static constexpr std::array<item, 10> items{{
        {"rows", "rows", tags::Rows},
        {"columns", "columns", tags::Columns},
        {"frames", "number_of_frames", tags::NumberOfFrames},
        {"photometric", "photometric_interpretation", tags::PhotometricInterpretation},
        {"samples per pixel", "samples_per_pixel", tags::SamplesPerPixel},
        {"bits allocated", "bits_allocated", tags::BitsAllocated},
        {"bits stored", "bits_stored", tags::BitsStored},
        {"high bit", "high_bit", tags::HighBit},
        {"pixel representation", "pixel_representation", tags::PixelRepresentation},
        {"planar configuration", "planar_configuration", tags::PlanarConfiguration},
    }};
    for (const item& i : items) {
        const element* e = ds.find(i.t);
        if (e == nullptr) {
            if (i.t == tags::NumberOfFrames && ds.contains(tags::Rows)) {
                out.number(i.label, i.key, 1); // absent Number of Frames means one frame (PS3.3 C.7.6.6)
            }
            continue;
        }
        if (auto n = e->to_int(); n && e->vr() != vr::CS) {
            out.number(i.label, i.key, *n);
        } else {
            out.text(i.label, i.key, std::string(e->raw_string()));
        }
    }
}

void pixel_layout(summary& out, const dicom_file& file, const pixel_options& popt, std::size_t frames_listed) {
    const dataset& ds = file.dataset();
    const element* pixel = ds.find(tags::PixelData);
    if (pixel == nullptr) {
        pixel = ds.find(tags::FloatPixelData);
    }
    if (pixel == nullptr) {
        pixel = ds.find(tags::DoubleFloatPixelData);
    }
    if (pixel == nullptr) {
        out.text("pixel data", "pixel_data", file.stopped_before_pixel_data() ? "not read" : "none");
        return;
    }
    const dictionary_entry* entry = find_entry(pixel->tag());
    out.text("pixel data element", "pixel_data_element",
             pixel->tag().to_string() + " " + std::string(entry != nullptr ? entry->keyword : "") + " " +
                 std::string(to_string(pixel->vr())));
    if (const encapsulated_pixel_data* enc = pixel->encapsulated(); enc != nullptr) {
        out.text("pixel data", "pixel_data", "encapsulated");
        out.number("fragments", "fragments", enc->fragments.size());
        out.number("BOT entries", "basic_offset_table_entries", enc->basic_offset_table.size() / 4);
        out.text("EOT", "extended_offset_table", ds.contains(tags::ExtendedOffsetTable) ? "present" : "absent");
    } else {
        out.text("pixel data", "pixel_data", "native");
        out.number("pixel data bytes", "pixel_data_bytes", pixel->bytes().size());
    }

    auto pixels = pixel_data::open(file, popt);
    if (!pixels) {
        out.text("pixel data error", "pixel_data_error", pixels.error().to_string());
        if (pixel->is_encapsulated()) {
            const std::string known = known_decoders_for(file.transfer_syntax_uid());
            out.text("decoder", "decoder", known.empty() ? "none known" : known);
        }
        return;
    }
    const pixel_description& desc = pixels->description();
    out.number("frames served", "frames_served", pixels->frame_count());
    out.text("sample type", "sample_type", std::string(to_string(desc.frame.type())));
    if (!pixels->encapsulated()) {
        if (auto bits = desc.frame.native_frame_bits(); bits) {
            const std::uint64_t expected = (*bits * desc.number_of_frames + 7) / 8;
            out.number("expected bytes", "expected_bytes", expected);
        }
    } else {
        out.text("frame index", "frame_index_method", std::string(to_string(pixels->index_method())));
        const auto index = pixels->frame_index();
        for (std::size_t i = 0; i < index.size() && i < frames_listed; ++i) {
            // Built by appends: GCC 12 at -O3 warns falsely (-Wrestrict, PR 105329) on "literal" + string.
            std::string s("#");
            s += std::to_string(i);
            s += ": fragments ";
            s += std::to_string(index[i].first);
            if (index[i].count != 1) {
                s += '-';
                s += std::to_string(index[i].first + index[i].count - 1);
            }
            std::uint64_t bytes = 0;
            const auto fragments = pixels->fragments();
            for (std::uint32_t k = index[i].first; k < index[i].first + index[i].count && k < fragments.size(); ++k) {
                bytes += fragments[k].bytes.size();
            }
            s += ", ";
            s += std::to_string(bytes);
            s += " bytes";
            out.frame_line(std::move(s));
        }
        if (index.size() > frames_listed) {
            out.frame_line("... (" + std::to_string(index.size() - frames_listed) + " more)");
        }
    }
    const std::string_view decoder = pixels->decoder_name();
    if (!decoder.empty()) {
        out.text("decoder", "decoder", std::string(decoder));
    } else {
        const std::string known = known_decoders_for(desc.transfer_syntax_uid);
        out.text("decoder", "decoder", known.empty() ? "none known" : "none registered; known: " + known);
    }
    for (const warning& w : pixels->warnings()) {
        out.warning_line("pixel data: " + warning_text(w));
    }
}

} // namespace

int cmd_info(std::span<const std::string_view> args) {
    std::string message;
    const auto a = arguments::parse(args, info_spec, message);
    if (!a) {
        return usage_error(info_spec, message);
    }
    if (a->help()) {
        return print_help(info_spec);
    }
    if (a->positionals().size() != 1) {
        return usage_error(info_spec, a->positionals().empty() ? "no FILE given" : "more than one FILE given");
    }
    std::size_t frames_listed = 8;
    if (const auto n = a->value("frames"); n) {
        try {
            frames_listed = std::stoul(std::string(*n));
        } catch (const std::exception&) {
            return usage_error(info_spec, "--frames takes a number, not '" + std::string(*n) + "'");
        }
    }
    const std::string_view file_name = a->positionals()[0];
    parse_options popt;
    popt.strict = a->has("strict");
    auto file = read_file(std::filesystem::path(file_name), popt);
    if (!file) {
        return report_error(file_name, file.error());
    }
    const dataset& ds = file->dataset();

    summary out;
    out.text("file", "file", std::string(file_name));
    out.uid("transfer syntax", "transfer_syntax", file->transfer_syntax_uid());
    if (const transfer_syntax* ts = file->transfer_syntax();
        ts != nullptr && ts->uid != file->transfer_syntax_uid()) {
        out.uid("read as", "read_as", ts->uid);
    }
    if (file->meta().empty()) {
        out.text("file meta", "file_meta", "absent (bare dataset)");
    }
    std::string sop_class = value_text(ds, tags::SOPClassUID);
    if (sop_class.empty()) {
        sop_class = value_text(file->meta(), tags::MediaStorageSOPClassUID);
    }
    if (!sop_class.empty()) {
        out.uid("SOP class", "sop_class", sop_class);
    }
    if (std::string modality = value_text(ds, tags::Modality); !modality.empty()) {
        out.text("modality", "modality", std::move(modality));
    }
    image_pixel_module(out, ds);
    pixel_options pixel_opt;
    pixel_opt.strict = popt.strict;
    pixel_layout(out, *file, pixel_opt, frames_listed);
    for (const warning& w : file->warnings()) {
        out.warning_line(warning_text(w));
    }

    output o(stdout);
    o << (a->has("json") ? out.as_json() : out.as_text());
    o.flush();
    if (!o.good()) {
        return report_error(file_name, error{errc::write_error, error::no_offset, {}, "writing to stdout failed"});
    }
    return exit_ok;
}

} // namespace dicompix::cli
