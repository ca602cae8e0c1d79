// A parent project's own program, linking a diffcheck target.
#include <cstdio>

#include "runtime/simt.hpp"

int main() {
  std::puts("parent");
  return 0;
}
