// SPDX-License-Identifier: BSD-3-Clause
#include <algorithm>

#include "dicompix/codec.hpp"

namespace dicompix {

void codec_registry::add_decoder(std::shared_ptr<const frame_decoder> decoder) {
    if (decoder) {
        decoders_.insert(decoders_.begin(), std::move(decoder));
    }
}

void codec_registry::add_encoder(std::shared_ptr<const frame_encoder> encoder) {
    if (encoder) {
        encoders_.insert(encoders_.begin(), std::move(encoder));
    }
}

std::vector<const frame_decoder*> codec_registry::decoders_for(std::string_view transfer_syntax_uid,
                                                               const frame_info& info) const {
    std::vector<const frame_decoder*> out;
    for (const auto& d : decoders_) {
        if (d->can_decode(transfer_syntax_uid, info)) {
            out.push_back(d.get());
        }
    }
    return out;
}

const frame_decoder* codec_registry::decoder(std::string_view name) const noexcept {
    for (const auto& d : decoders_) {
        if (d->name() == name) {
            return d.get();
        }
    }
    return nullptr;
}

std::vector<const frame_encoder*> codec_registry::encoders_for(std::string_view transfer_syntax_uid,
                                                               const frame_info& info,
                                                               const encode_options& options) const {
    std::vector<const frame_encoder*> out;
    for (const auto& e : encoders_) {
        if (e->can_encode(transfer_syntax_uid, info, options)) {
            out.push_back(e.get());
        }
    }
    return out;
}

const frame_encoder* codec_registry::encoder(std::string_view name) const noexcept {
    for (const auto& e : encoders_) {
        if (e->name() == name) {
            return e.get();
        }
    }
    return nullptr;
}

codec_registry codec_registry::with_builtins() {
    return builtin();
}

} // namespace dicompix
