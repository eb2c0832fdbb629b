#pragma once
// Text placed into XML or HTML (element text or a double-quoted attribute): the characters that
// would end it or start markup become entities.

#include <string>
#include <string_view>

namespace mitsu {

std::string markup_escape(std::string_view text);

}  // namespace mitsu
