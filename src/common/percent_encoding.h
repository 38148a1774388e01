// Percent-encoding (RFC 3986 §2.1): for URL query values, URN parts and Delta log paths.
#pragma once

#include <string>
#include <string_view>

namespace dicomlake {

// `text` with every byte outside RFC 3986's unreserved characters (letters, digits, '-', '.',
// '_', '~') and outside `also_keep` written as %XX (upper-case hex).
std::string PercentEncode(std::string_view text, std::string_view also_keep = {});

}  // namespace dicomlake
