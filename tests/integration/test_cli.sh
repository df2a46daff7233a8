#!/bin/sh
# Placeholder until the command-line tests are written: skips.
exit 77
