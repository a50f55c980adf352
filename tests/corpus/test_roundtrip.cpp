// SPDX-License-Identifier: BSD-3-Clause
// Every corpus file dicompix parses: read -> write (same transfer syntax) -> read gives the same elements
// and the same decoded pixels; files already in canonical form (Explicit VR Little Endian, defined
// lengths, even padding, ascending tags) come back with identical bytes after the meta group.
#include <gtest/gtest.h>

#include "corpus/corpus.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/writer.hpp"

namespace dicompix {
namespace {

/// Every group length (gggg,0000) equals the bytes of the rest of its group as read (a wrong one is not
/// canonical: the writer recomputes it).
bool group_lengths_true(const dataset& ds, std::uint64_t end_of_data) {
    const auto elements = ds.elements();
    for (std::size_t i = 0; i < elements.size(); ++i) {
        const element& e = elements[i];
        if (e.tag().element() != 0 || e.tag().group() == 0xFFFE) {
            continue;
        }
        std::uint64_t end = end_of_data;
        for (std::size_t j = i + 1; j < elements.size(); ++j) {
            if (elements[j].tag().group() != e.tag().group()) {
                end = elements[j].offset();
                break;
            }
        }
        const std::uint64_t start = i + 1 < elements.size() ? elements[i + 1].offset() : end;
        if (e.get<std::uint32_t>().value_or(0) != end - start) {
            return false;
        }
    }
    return true;
}

bool canonical_dataset(const dataset& ds) {
    if (!ds.sorted()) {
        return false;
    }
    for (const element& e : ds) {
        if (e.is_encapsulated() || e.vr() == vr::UN || e.vr() == vr::unknown) {
            return false;
        }
        if (e.is_sequence()) {
            if (e.has_undefined_length()) {
                return false;
            }
            for (const dataset& item : e.items()) {
                if (item.undefined_length() || !canonical_dataset(item)) {
                    return false;
                }
            }
            continue;
        }
        if ((e.declared_length() & 1U) != 0 || e.declared_length() != e.bytes().size()) {
            return false;
        }
        if (e.tag() == tags::PixelData) {
            // We write OW above 8 bits and OB otherwise (PS3.5 §A.2).
            const auto ba = ds.get<std::uint16_t>(tags::BitsAllocated).value_or(0);
            if (e.vr() != (ba > 8 ? vr::OW : vr::OB)) {
                return false;
            }
        }
    }
    return true;
}

void compare_datasets(const dataset& a, const dataset& b, const std::string& where) {
    // Retired group lengths are recomputed (or dropped where pixel data streams), so they are skipped.
    std::vector<const element*> x;
    std::vector<const element*> y;
    for (const element& e : a) {
        if (e.tag().element() != 0 || e.tag().group() == 0xFFFE) {
            x.push_back(&e);
        }
    }
    for (const element& e : b) {
        if (e.tag().element() != 0 || e.tag().group() == 0xFFFE) {
            y.push_back(&e);
        }
    }
    std::stable_sort(x.begin(), x.end(), [](auto* p, auto* q) { return p->tag() < q->tag(); });
    ASSERT_EQ(x.size(), y.size()) << where;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const element& e = *x[i];
        const element& f = *y[i];
        ASSERT_EQ(e.tag(), f.tag()) << where;
        const std::string here = where + e.tag().to_string();
        if (e.tag() == tags::PixelData || e.tag() == tags::FloatPixelData || e.tag() == tags::DoubleFloatPixelData) {
            continue; // compared as decoded pixels
        }
        if (e.is_sequence()) {
            ASSERT_EQ(e.items().size(), f.items().size()) << here;
            for (std::size_t k = 0; k < e.items().size(); ++k) {
                compare_datasets(e.items()[k], f.items()[k], here + "[" + std::to_string(k) + "]/");
            }
            continue;
        }
        if (e.is_encapsulated()) {
            ASSERT_TRUE(f.is_encapsulated()) << here;
            ASSERT_EQ(e.encapsulated()->fragments.size(), f.encapsulated()->fragments.size()) << here;
            continue;
        }
        EXPECT_EQ(e.vr(), f.vr()) << here;
        auto a_bytes = e.bytes();
        auto b_bytes = f.bytes();
        // The writer pads odd values to even length (PS3.5 §7.1.1).
        if (b_bytes.size() == a_bytes.size() + 1 && (a_bytes.size() & 1U) != 0) {
            b_bytes = b_bytes.first(a_bytes.size());
        }
        EXPECT_TRUE(std::equal(a_bytes.begin(), a_bytes.end(), b_bytes.begin(), b_bytes.end())) << here;
    }
}

std::vector<std::string> corpus_paths() {
    std::vector<std::string> out;
    for (const auto& row : test::manifest()) {
        out.push_back(row.at("path"));
    }
    return out;
}

class CorpusRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusRoundTrip, SameTransferSyntax) {
    const auto path = test::corpus_dir() / GetParam();
    auto file = read_file(path);
    if (!file) {
        GTEST_SKIP() << "not parsed (covered by the parser tests): " << file.error().to_string();
    }
    memory_sink sink;
    const auto report = write(*file, sink);
    ASSERT_TRUE(report) << report.error().to_string();
    auto again = read_bytes(byte_source::adopt(std::move(sink.bytes())));
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->transfer_syntax_uid(), file->transfer_syntax_uid());
    compare_datasets(file->dataset(), again->dataset(), "");

    // Same decoded pixels (where the original decodes at all).
    auto before = pixel_data::open(*file);
    if (before) {
        auto after = pixel_data::open(*again);
        ASSERT_TRUE(after) << after.error().to_string();
        ASSERT_EQ(before->frame_count(), after->frame_count());
        for (std::uint32_t i = 0; i < before->frame_count(); ++i) {
            auto a = before->frame(i);
            if (!a) {
                break; // e.g. no decoder in this build: nothing to compare
            }
            auto b = after->frame(i);
            ASSERT_TRUE(b) << "frame " << i << ": " << b.error().to_string();
            EXPECT_TRUE(std::ranges::equal(a->bytes(), b->bytes())) << "frame " << i;
        }
    }

    // Canonical input: identical bytes after the meta group.
    if (file->transfer_syntax_uid() == "1.2.840.10008.1.2.1" && file->has_preamble() && file->warnings().empty() &&
        canonical_dataset(file->dataset()) && group_lengths_true(file->dataset(), file->source().size())) {
        const auto in = file->source().bytes().subspan(file->dataset_offset());
        const auto out = again->source().bytes().subspan(again->dataset_offset());
        EXPECT_TRUE(std::ranges::equal(in, out)) << "canonical file not reproduced byte for byte (" << in.size()
                                                 << " vs " << out.size() << " bytes)";
        RecordProperty("canonical", "yes");
    }
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusRoundTrip, ::testing::ValuesIn(corpus_paths()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return test::test_name(param_info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CorpusRoundTrip);

} // namespace
} // namespace dicompix
