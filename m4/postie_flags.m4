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
