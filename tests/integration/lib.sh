#!/bin/sh
# Shared helpers for the integration tests.
