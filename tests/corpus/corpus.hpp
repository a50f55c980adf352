// SPDX-License-Identifier: BSD-3-Clause
// Access to ../shared/corpus for tests: tests read the files in place and skip when it is absent.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dicompix::test {

/// The corpus directory, or empty when it is absent.
std::filesystem::path corpus_dir();

/// Rows of a TSV file with a header line, as column-name -> value maps.
std::vector<std::map<std::string, std::string>> read_tsv(const std::filesystem::path& path);

/// MANIFEST.tsv rows (empty when the corpus is absent).
const std::vector<std::map<std::string, std::string>>& manifest();
/// PAIRS.tsv rows (empty when the corpus is absent).
const std::vector<std::map<std::string, std::string>>& pairs();

/// A test name made of letters, digits and underscores from a corpus path.
std::string test_name(const std::string& path);

} // namespace dicompix::test
