// SPDX-License-Identifier: BSD-3-Clause
// dicompix: umbrella header.
#pragma once

#include "dicompix/codec.hpp"
#include "dicompix/dataset.hpp"
#include "dicompix/dictionary.hpp"
#include "dicompix/error.hpp"
#include "dicompix/frame_cache.hpp"
#include "dicompix/frame_info.hpp"
#include "dicompix/io.hpp"
#include "dicompix/json.hpp"
#include "dicompix/options.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/render.hpp"
#include "dicompix/tag.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "dicompix/writer.hpp"
