// Release/acquire publication: must pass (see publish.inc).
#define PUBLISH_STORE_ORDER std::memory_order_release
#define PUBLISH_LOAD_ORDER std::memory_order_acquire
#include "publish.inc"
