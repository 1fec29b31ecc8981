//! The executable of the link-guard test (tools/CMakeLists.txt): it is linked with one object
//! compiled against each platform flavour plus both platform libraries, and must fail to link on
//! the duplicate `ipcsim_platform_flavour_guard`. It includes nothing and calls nothing, so the
//! failure cannot come from anything but mixing the flavours.

int main() {
  return 0;
}
