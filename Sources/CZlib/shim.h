// The system zlib (deflate for PNG, gzip for IDX files).
#include <zlib.h>
