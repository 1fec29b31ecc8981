// Relaxed publication: must be reported as a race on `payload` (see publish.inc).
#define PUBLISH_STORE_ORDER std::memory_order_relaxed
#define PUBLISH_LOAD_ORDER std::memory_order_relaxed
#include "publish.inc"
