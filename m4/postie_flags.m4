# SPDX-License-Identifier: ISC
# Compiler and linker flag probes (what autoconf-archive's
# AX_CHECK_COMPILE_FLAG and AX_CHECK_LINK_FLAG do, kept here so that
# building from git needs no autoconf-archive).
#
# A flag is taken only when a test program compiles and links with it
# and the compiler and linker print nothing: clang only warns about an
# unknown -W option, and GNU ld only warns about an unknown -z keyword.

# POSTIE_PROBE(CFLAGS, LDFLAGS, [PROGRAM], ACTION-IF-OK, ACTION-IF-NOT)
# Link PROGRAM (default: an empty main) with CFLAGS and LDFLAGS added to
# the user's, warnings being errors.
AC_DEFUN([POSTIE_PROBE], [
	postie_probe_save_CFLAGS=$CFLAGS
	postie_probe_save_LDFLAGS=$LDFLAGS
	postie_probe_save_werror=$ac_c_werror_flag
	CFLAGS="$CFLAGS -Werror $1"
	LDFLAGS="$LDFLAGS $2"
	ac_c_werror_flag=yes
	AC_LINK_IFELSE([m4_default([$3], [AC_LANG_PROGRAM()])], [$4], [$5])
	CFLAGS=$postie_probe_save_CFLAGS
	LDFLAGS=$postie_probe_save_LDFLAGS
	ac_c_werror_flag=$postie_probe_save_werror
])

# POSTIE_CFLAG(FLAG, VARIABLE, [PROBE])
# Append FLAG to VARIABLE when the compiler takes it.  PROBE is the flag
# to try instead: for -Wno-X, -WX (gcc takes any -Wno-X silently).
AC_DEFUN([POSTIE_CFLAG], [
	AS_VAR_PUSHDEF([postie_cv], [postie_cv_cflag_]m4_default([$3], [$1]))
	AC_CACHE_CHECK([whether $CC accepts m4_default([$3], [$1])],
	    [postie_cv], [POSTIE_PROBE(m4_default([$3], [$1]), [],
		[], [AS_VAR_SET([postie_cv], [yes])],
		[AS_VAR_SET([postie_cv], [no])])])
	AS_VAR_IF([postie_cv], [yes], [AS_VAR_APPEND([$2], [" $1"])])
	AS_VAR_POPDEF([postie_cv])
])

# POSTIE_LDFLAG(FLAG, VARIABLE, [CFLAGS])
# Append FLAG to VARIABLE when the linker takes it (with CFLAGS, for a
# link flag that needs a compile flag: -pie with -fPIE).
AC_DEFUN([POSTIE_LDFLAG], [
	AS_VAR_PUSHDEF([postie_cv], [postie_cv_ldflag_$1])
	AC_CACHE_CHECK([whether $CC links with $1], [postie_cv],
	    [POSTIE_PROBE([$3], [$1], [], [AS_VAR_SET([postie_cv], [yes])],
		[AS_VAR_SET([postie_cv], [no])])])
	AS_VAR_IF([postie_cv], [yes], [AS_VAR_APPEND([$2], [" $1"])])
	AS_VAR_POPDEF([postie_cv])
])

# POSTIE_FORTIFY(VARIABLE)
# Append -D_FORTIFY_SOURCE=3, or =2 where the C library stops at 2, to
# VARIABLE, unless the build is not optimised (glibc then warns) or
# _FORTIFY_SOURCE is already defined: by CPPFLAGS (dpkg-buildflags, or
# -D_FORTIFY_SOURCE=0 to go without) or by the compiler itself (Ubuntu's
# gcc); defining it twice warns too.  Sets postie_fortify to the level
# added, "given" when it was already defined above 0 in an optimised
# build, or "no".
AC_DEFUN([POSTIE_FORTIFY], [
	AC_CACHE_CHECK([whether the build is optimised], [postie_cv_optimised],
	    [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#if !defined(__OPTIMIZE__)
#error not an optimised build
#endif
]])], [postie_cv_optimised=yes], [postie_cv_optimised=no])])
	AC_CACHE_CHECK([whether _FORTIFY_SOURCE is already defined],
	    [postie_cv_fortify_given],
	    [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#ifndef _FORTIFY_SOURCE
#error not defined
#endif
]])], [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#if _FORTIFY_SOURCE < 1
#error off
#endif
]])], [postie_cv_fortify_given=yes],
		[postie_cv_fortify_given="yes, as 0"])],
		[postie_cv_fortify_given=no])])
	postie_fortify=no
	AS_IF([test "x$postie_cv_optimised" = xno], [],
	    [test "x$postie_cv_fortify_given" = xyes], [postie_fortify=given],
	    [test "x$postie_cv_fortify_given" = xno], [
		AC_CACHE_CHECK([for the _FORTIFY_SOURCE level to add],
		    [postie_cv_fortify], [
			postie_cv_fortify=no
			postie_probe_save_CPPFLAGS=$CPPFLAGS
			for postie_level in 3 2; do
				# In the Makefile's order: the user's last.
				CPPFLAGS="-D_FORTIFY_SOURCE=$postie_level $postie_probe_save_CPPFLAGS"
				POSTIE_PROBE([], [], [AC_LANG_PROGRAM([[
#include <string.h>
#if !defined(_FORTIFY_SOURCE)
#error undefined again by CPPFLAGS
#endif
#if defined(__USE_FORTIFY_LEVEL) && __USE_FORTIFY_LEVEL < $postie_level
#error the C library has a lower level
#endif
]])], [postie_cv_fortify=$postie_level])
				test "x$postie_cv_fortify" = xno || break
			done
			CPPFLAGS=$postie_probe_save_CPPFLAGS])
		postie_fortify=$postie_cv_fortify
		AS_VAR_IF([postie_fortify], [no], [],
		    [AS_VAR_APPEND([$1], [" -D_FORTIFY_SOURCE=$postie_fortify"])])])
])
