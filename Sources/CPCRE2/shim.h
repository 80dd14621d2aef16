#ifndef WARDEN_CPCRE2_SHIM_H
#define WARDEN_CPCRE2_SHIM_H
// PCRE2 needs its code unit width chosen before the header is read; Warden uses 8-bit (UTF-8).
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#endif
