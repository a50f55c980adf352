// SPDX-License-Identifier: BSD-3-Clause
// Codecs through the registry, beside each backend called directly (the "alone" figures the issue compares
// against): decode of one frame (library path: registry, allocation, normalisation), the decoder call alone,
// encode of one frame, and frame-parallel decode of many frames on 1 and 2 threads.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "bench_support.hpp"
#include "dicompix/codec.hpp"
#include "dicompix/transfer_syntax.hpp"

#if DICOMPIX_BENCH_BACKENDS
#include <charls/charls.h>
#include <openjpeg.h>
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_defs.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_params.h>
#include <turbojpeg.h>

#include "codecs/j2k_packets.hpp"
#endif

namespace dicompix::bench {
namespace {

/// One opened input kept for the whole run (benchmarks share it).
struct opened {
    dicom_file file;
    pixel_data pixels;
};

opened* open_cached(const std::string& name) {
    static std::map<std::string, std::unique_ptr<opened>> cache;
    if (auto it = cache.find(name); it != cache.end()) {
        return it->second.get();
    }
    auto file = open_input(name);
    if (!file) {
        return nullptr;
    }
    auto pixels = pixel_data::open(*file);
    if (!pixels) {
        return nullptr;
    }
    auto o = std::make_unique<opened>(opened{std::move(*file), std::move(*pixels)});
    return cache.emplace(name, std::move(o)).first->second.get();
}

void set_rates(benchmark::State& state, std::uint64_t pixels, std::uint64_t bytes) {
    state.counters["Mpx/s"] = benchmark::Counter(
        static_cast<double>(pixels) * static_cast<double>(state.iterations()) / 1e6, benchmark::Counter::kIsRate);
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}

std::uint64_t frame_pixels(const pixel_data& p) {
    return std::uint64_t{p.info().rows} * p.info().columns;
}

/// pixel_data::frame(i) for i cycling over the first frames: the whole library path of one frame.
void bm_frame(benchmark::State& state, opened* in) {
    const std::uint32_t n = std::min<std::uint32_t>(in->pixels.frame_count(), 64);
    std::uint32_t i = 0;
    std::uint64_t bytes = 0;
    for (auto _ : state) {
        auto f = in->pixels.frame(i);
        if (!f) {
            state.SkipWithError(f.error().to_string().c_str());
            return;
        }
        bytes = f->bytes().size();
        benchmark::DoNotOptimize(f->bytes().data());
        i = (i + 1) % n;
    }
    state.SetLabel(std::string(in->pixels.decoder_name()));
    set_rates(state, frame_pixels(in->pixels), bytes);
}

/// The decoder alone (registry lookup done once, output buffer reused).
void bm_decoder(benchmark::State& state, opened* in) {
    const auto& registry = codec_registry::builtin();
    const auto decoders = registry.decoders_for(in->pixels.description().transfer_syntax_uid, in->pixels.info());
    if (decoders.empty()) {
        state.SkipWithError("no decoder");
        return;
    }
    std::vector<std::byte> scratch;
    auto cs = in->pixels.frame_codestream(0, scratch);
    if (!cs) {
        state.SkipWithError(cs.error().to_string().c_str());
        return;
    }
    const std::vector<std::byte> codestream(cs->begin(), cs->end());
    std::vector<std::byte> out(in->pixels.info().decoded_frame_bytes().value_or(0));
    dicompix::limits lim;
    decode_options options;
    options.transfer_syntax_uid = in->pixels.description().transfer_syntax_uid;
    options.limits = &lim;
    for (auto _ : state) {
        auto r = decoders.front()->decode(codestream, in->pixels.info(), out, options);
        if (!r) {
            state.SkipWithError(r.error().to_string().c_str());
            return;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetLabel(std::string(decoders.front()->name()) + ", " + std::to_string(codestream.size()) + " B in");
    set_rates(state, frame_pixels(in->pixels), out.size());
}

/// Encode of frame 0 of a native input into `uid` by the registry's first capable encoder.
void bm_encode(benchmark::State& state, opened* in, std::string uid) {
    auto frame = in->pixels.frame(0);
    if (!frame) {
        state.SkipWithError(frame.error().to_string().c_str());
        return;
    }
    frame_info info = in->pixels.info();
    info.planar_configuration = 0;
    encode_options options;
    const auto encoders = codec_registry::builtin().encoders_for(uid, info, options);
    if (encoders.empty()) {
        state.SkipWithError("no encoder");
        return;
    }
    std::size_t out = 0;
    for (auto _ : state) {
        auto e = encoders.front()->encode(frame->bytes(), info, uid, options);
        if (!e) {
            state.SkipWithError(e.error().to_string().c_str());
            return;
        }
        out = e->codestream.size();
        benchmark::DoNotOptimize(e->codestream.data());
    }
    state.SetLabel(std::string(encoders.front()->name()) + ", ratio " +
                   std::to_string(static_cast<double>(frame->bytes().size()) /
                                  static_cast<double>(std::max<std::size_t>(out, 1))));
    set_rates(state, frame_pixels(in->pixels), frame->bytes().size());
}

/// Frames [0, count) decoded by for_each_frame on state.range(0) threads.
void bm_all_frames(benchmark::State& state, opened* in, std::uint32_t count) {
    const auto threads = static_cast<std::uint32_t>(state.range(0));
    count = std::min(count, in->pixels.frame_count());
    std::uint64_t bytes = 0;
    for (auto _ : state) {
        std::atomic<std::uint64_t> total{0};
        auto r = for_each_frame(
            in->pixels, threads,
            [&](std::uint32_t, any_frame&& f) -> result<void> {
                total.fetch_add(f.bytes().size(), std::memory_order_relaxed);
                return {};
            },
            0, count);
        if (!r) {
            state.SkipWithError(r.error().to_string().c_str());
            return;
        }
        bytes = total.load();
    }
    state.SetLabel(std::string(in->pixels.decoder_name()) + ", " + std::to_string(count) + " frames");
    set_rates(state, frame_pixels(in->pixels) * count, bytes);
}

#if DICOMPIX_BENCH_BACKENDS
std::vector<std::byte> codestream_of(opened* in, std::uint32_t i) {
    std::vector<std::byte> scratch;
    auto cs = in->pixels.frame_codestream(i, scratch);
    return cs ? std::vector<std::byte>(cs->begin(), cs->end()) : std::vector<std::byte>{};
}

void bm_charls_alone(benchmark::State& state, opened* in) {
    const auto cs = codestream_of(in, 0);
    std::vector<std::byte> out(in->pixels.info().decoded_frame_bytes().value_or(0));
    for (auto _ : state) {
        charls_jpegls_decoder* d = charls_jpegls_decoder_create();
        const bool ok =
            charls_jpegls_decoder_set_source_buffer(d, cs.data(), cs.size()) == charls::jpegls_errc::success &&
            charls_jpegls_decoder_read_header(d) == charls::jpegls_errc::success &&
            charls_jpegls_decoder_decode_to_buffer(d, out.data(), out.size(), 0) == charls::jpegls_errc::success;
        charls_jpegls_decoder_destroy(d);
        if (!ok) {
            state.SkipWithError("CharLS failed");
            return;
        }
        benchmark::DoNotOptimize(out.data());
    }
    set_rates(state, frame_pixels(in->pixels), out.size());
}

struct opj_source {
    const std::byte* data;
    std::size_t size;
    std::size_t pos;
};

OPJ_SIZE_T opj_read(void* buffer, OPJ_SIZE_T n, void* user) {
    auto* s = static_cast<opj_source*>(user);
    const std::size_t k = std::min<std::size_t>(n, s->size - s->pos);
    if (k == 0) {
        return static_cast<OPJ_SIZE_T>(-1);
    }
    std::memcpy(buffer, s->data + s->pos, k);
    s->pos += k;
    return k;
}
OPJ_OFF_T opj_skip(OPJ_OFF_T n, void* user) {
    auto* s = static_cast<opj_source*>(user);
    const auto k = static_cast<std::size_t>(std::min<OPJ_OFF_T>(n, static_cast<OPJ_OFF_T>(s->size - s->pos)));
    s->pos += k;
    return static_cast<OPJ_OFF_T>(k);
}
OPJ_BOOL opj_seek(OPJ_OFF_T n, void* user) {
    auto* s = static_cast<opj_source*>(user);
    if (n < 0 || static_cast<std::size_t>(n) > s->size) {
        return OPJ_FALSE;
    }
    s->pos = static_cast<std::size_t>(n);
    return OPJ_TRUE;
}

/// OpenJPEG decoding the frame's codestream into its own planes and copying them out (as any caller must).
void bm_openjpeg_alone(benchmark::State& state, opened* in) {
    const auto cs = codestream_of(in, 0);
    const auto threads = static_cast<int>(state.range(0));
    std::vector<std::uint16_t> out(frame_pixels(in->pixels) * in->pixels.info().samples_per_pixel);
    for (auto _ : state) {
        opj_source src{cs.data(), cs.size(), 0};
        opj_stream_t* stream = opj_stream_create(1U << 16, OPJ_TRUE);
        opj_stream_set_user_data(stream, &src, nullptr);
        opj_stream_set_user_data_length(stream, cs.size());
        opj_stream_set_read_function(stream, opj_read);
        opj_stream_set_skip_function(stream, opj_skip);
        opj_stream_set_seek_function(stream, opj_seek);
        opj_codec_t* codec = opj_create_decompress(OPJ_CODEC_J2K);
        opj_dparameters_t parameters;
        opj_set_default_decoder_parameters(&parameters);
        opj_setup_decoder(codec, &parameters);
        opj_codec_set_threads(codec, threads);
        opj_image_t* image = nullptr;
        bool ok = opj_read_header(stream, codec, &image) != OPJ_FALSE &&
                  opj_decode(codec, stream, image) != OPJ_FALSE && opj_end_decompress(codec, stream) != OPJ_FALSE;
        if (ok) {
            const std::size_t n = std::size_t{image->comps[0].w} * image->comps[0].h;
            const std::size_t spp = image->numcomps;
            for (std::size_t c = 0; c < spp; ++c) {
                const OPJ_INT32* p = image->comps[c].data;
                for (std::size_t k = 0; k < n && k * spp + c < out.size(); ++k) {
                    out[k * spp + c] = static_cast<std::uint16_t>(p[k]);
                }
            }
        }
        opj_image_destroy(image);
        opj_destroy_codec(codec);
        opj_stream_destroy(stream);
        if (!ok) {
            state.SkipWithError("OpenJPEG failed");
            return;
        }
        benchmark::DoNotOptimize(out.data());
    }
    set_rates(state, frame_pixels(in->pixels), out.size() * 2);
}

void bm_openjph_alone(benchmark::State& state, opened* in) {
    const auto cs = codestream_of(in, 0);
    const std::size_t columns = in->pixels.info().columns;
    const std::size_t rows = in->pixels.info().rows;
    std::vector<std::uint16_t> out(rows * columns);
    for (auto _ : state) {
        ojph::mem_infile file;
        file.open(reinterpret_cast<const ojph::ui8*>(cs.data()), cs.size());
        ojph::codestream codestream;
        codestream.read_headers(&file);
        codestream.create();
        for (std::size_t y = 0; y < rows; ++y) {
            ojph::ui32 component = 0;
            const ojph::line_buf* line = codestream.pull(component);
            for (std::size_t x = 0; x < columns; ++x) {
                out[y * columns + x] = static_cast<std::uint16_t>(line->i32[x]);
            }
        }
        codestream.close();
        benchmark::DoNotOptimize(out.data());
    }
    set_rates(state, rows * columns, out.size() * 2);
}

/// The HTJ2K adapter's packet-header walk alone (j2k_packets.hpp), which runs before OpenJPH on every frame.
void bm_ht_packet_walk(benchmark::State& state, opened* in) {
    const auto cs = codestream_of(in, 0);
    for (auto _ : state) {
        const auto layout = codecs::j2k::parse(cs);
        if (!layout) {
            state.SkipWithError(layout.error().to_string().c_str());
            return;
        }
        const std::string why = codecs::j2k::check_ht_packet_headers(*layout);
        if (!why.empty()) {
            state.SkipWithError(why.c_str());
            return;
        }
    }
    set_rates(state, frame_pixels(in->pixels), cs.size());
}

void bm_turbojpeg_alone(benchmark::State& state, opened* in) {
    const auto cs = codestream_of(in, 0);
    const auto& info = in->pixels.info();
    std::vector<unsigned char> out(std::size_t{info.rows} * info.columns * info.samples_per_pixel);
    tjhandle h = tjInitDecompress();
    for (auto _ : state) {
        if (tjDecompress2(h, reinterpret_cast<const unsigned char*>(cs.data()), static_cast<unsigned long>(cs.size()),
                          out.data(), static_cast<int>(info.columns), 0, static_cast<int>(info.rows),
                          info.samples_per_pixel == 3 ? TJPF_RGB : TJPF_GRAY, 0) != 0) {
            state.SkipWithError(tjGetErrorStr2(h));
            break;
        }
        benchmark::DoNotOptimize(out.data());
    }
    tjDestroy(h);
    set_rates(state, frame_pixels(in->pixels), out.size());
}
#endif

void register_all() {
    const std::vector<std::string> bases = {"ct", "cr3000", "cine", "mf1000"};
    const std::vector<std::string> suffixes = {"rle", "jpll", "jls", "j2k", "htj2k", "jpeg"};
    for (const auto& b : bases) {
        for (const auto& s : suffixes) {
            const std::string name = b + "." + s + ".dcm";
            opened* in = open_cached(name);
            if (in == nullptr) {
                continue;
            }
            benchmark::RegisterBenchmark(("frame/" + name).c_str(), bm_frame, in)->Unit(benchmark::kMillisecond);
            benchmark::RegisterBenchmark(("decoder_only/" + name).c_str(), bm_decoder, in)
                ->Unit(benchmark::kMillisecond);
#if DICOMPIX_BENCH_BACKENDS
            if (s == "jls") {
                benchmark::RegisterBenchmark(("charls_alone/" + name).c_str(), bm_charls_alone, in)
                    ->Unit(benchmark::kMillisecond);
            } else if (s == "j2k") {
                benchmark::RegisterBenchmark(("openjpeg_alone/" + name).c_str(), bm_openjpeg_alone, in)
                    ->Arg(1)
                    ->Arg(2)
                    ->Unit(benchmark::kMillisecond);
            } else if (s == "htj2k" && in->pixels.info().samples_per_pixel == 1) {
                benchmark::RegisterBenchmark(("openjph_alone/" + name).c_str(), bm_openjph_alone, in)
                    ->Unit(benchmark::kMillisecond);
                benchmark::RegisterBenchmark(("ht_packet_walk/" + name).c_str(), bm_ht_packet_walk, in)
                    ->Unit(benchmark::kMillisecond);
            } else if (s == "jpeg") {
                benchmark::RegisterBenchmark(("turbojpeg_alone/" + name).c_str(), bm_turbojpeg_alone, in)
                    ->Unit(benchmark::kMillisecond);
            }
#endif
            if (in->pixels.frame_count() > 1) {
                // Frame-parallel decode: 100 frames (the J2K ones take seconds each run), 1 and 2 threads.
                benchmark::RegisterBenchmark(("all_frames/" + name).c_str(), bm_all_frames, in, 100U)
                    ->Arg(1)
                    ->Arg(2)
                    ->Unit(benchmark::kMillisecond)
                    ->UseRealTime()
                    ->MinTime(1.0);
            }
        }
        if (opened* native = open_cached(b + ".dcm"); native != nullptr) {
            std::vector<std::pair<std::string, std::string>> targets = {{"rle", "1.2.840.10008.1.2.5"},
                                                                        {"jpll", "1.2.840.10008.1.2.4.70"},
                                                                        {"jls", "1.2.840.10008.1.2.4.80"},
                                                                        {"j2k", "1.2.840.10008.1.2.4.90"},
                                                                        {"htj2k", "1.2.840.10008.1.2.4.201"}};
            if (native->pixels.info().bits_allocated == 8) {
                targets.emplace_back("jpeg", "1.2.840.10008.1.2.4.50");
            }
            for (const auto& [s, uid] : targets) {
                benchmark::RegisterBenchmark(("encode/" + s + "/" + b).c_str(), bm_encode, native, uid)
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
}

} // namespace
} // namespace dicompix::bench

int main(int argc, char** argv) {
    return dicompix::bench::main_with_inputs(argc, argv, dicompix::bench::register_all);
}
