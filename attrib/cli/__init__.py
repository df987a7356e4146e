# SPDX-License-Identifier: Apache-2.0
"""The command line: a thin shell of options over the library."""
