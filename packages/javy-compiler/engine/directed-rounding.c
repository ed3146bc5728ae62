/*
 * WASI's libc has no FE_DOWNWARD / FE_UPWARD rounding modes, and QuickJS uses them (with printf)
 * to get Number.prototype.toFixed / toPrecision ties right: JS rounds exact ties away from zero,
 * printf rounds them to even. quickjs.c is compiled with fesetround and snprintf renamed to these
 * functions: while a directed mode is set, the two printf formats QuickJS uses are computed from
 * the exact decimal expansion of the double (which printf prints exactly at high precision) and
 * rounded in the requested direction. Every other call goes straight to vsnprintf.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MM_FE_DOWNWARD 0x400
#define MM_FE_UPWARD 0x800
#define EXACT_DIGITS 1100

static int round_mode;

int memory_mcp_fesetround(int mode) {
  round_mode = mode;
  return 0;
}

static int directed(char *buf, size_t size, char conv, int prec, double d) {
  static char exact[EXACT_DIGITS + 400];
  static char tmp[EXACT_DIGITS + 400];
  int neg = signbit(d) != 0;
  if (conv == 'e') snprintf(exact, sizeof exact, "%+.*e", EXACT_DIGITS, d);
  else snprintf(exact, sizeof exact, "%.*f", EXACT_DIGITS, d);
  char *dot = strchr(exact, '.');
  char *end = conv == 'e' ? strchr(exact, 'e') : exact + strlen(exact);
  if (!dot || !end || prec < 0 || prec > 1000) return snprintf(buf, size, conv == 'e' ? "%+.*e" : "%.*f", prec, d);
  char *cut = dot + 1 + prec;
  int tail_nonzero = 0;
  for (char *p = cut; p < end; p++) {
    if (*p != '0') {
      tail_nonzero = 1;
      break;
    }
  }
  int away = tail_nonzero && ((round_mode == MM_FE_UPWARD && !neg) || (round_mode == MM_FE_DOWNWARD && neg));
  size_t len = (size_t)((prec == 0 ? dot : cut) - exact);
  memcpy(tmp, exact, len);
  tmp[len] = 0;
  int exponent = conv == 'e' ? atoi(end + 1) : 0;
  if (away) {
    long i = (long)len - 1;
    for (; i >= 0; i--) {
      if (tmp[i] == '.') continue;
      if (tmp[i] < '0' || tmp[i] > '9') break;
      if (tmp[i] == '9') {
        tmp[i] = '0';
        continue;
      }
      tmp[i]++;
      break;
    }
    if (i < 0 || tmp[i] < '0' || tmp[i] > '9') {
      /* carried out of the leading digit: 9.99 -> 10.00 */
      size_t pos = (tmp[0] == '+' || tmp[0] == '-') ? 1 : 0;
      if (conv == 'e') {
        /* every digit is now 0: the mantissa becomes 1.000 and the exponent grows by one */
        len = pos;
        tmp[len++] = '1';
        if (prec > 0) {
          tmp[len++] = '.';
          for (int k = 0; k < prec; k++) tmp[len++] = '0';
        }
        tmp[len] = 0;
        exponent++;
      } else {
        memmove(tmp + pos + 1, tmp + pos, len - pos + 1);
        tmp[pos] = '1';
        len++;
      }
    }
  }
  if (conv == 'e') return snprintf(buf, size, "%se%c%02d", tmp, exponent < 0 ? '-' : '+', abs(exponent));
  return snprintf(buf, size, "%s", tmp);
}

int memory_mcp_snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int n;
  if (round_mode != 0 && (strcmp(fmt, "%+.*e") == 0 || strcmp(fmt, "%.*f") == 0)) {
    int prec = va_arg(args, int);
    double d = va_arg(args, double);
    n = directed(buf, size, fmt[strlen(fmt) - 1], prec, d);
  } else {
    n = vsnprintf(buf, size, fmt, args);
  }
  va_end(args);
  return n;
}
