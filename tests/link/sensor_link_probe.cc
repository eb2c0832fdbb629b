// Linked against mitsu_sensor and nothing else, with a linker map: the map's inputs are what
// the sensor's link interface puts on a link line (tests/link/check_link_inputs.cmake).
int main() {
  return 0;
}
