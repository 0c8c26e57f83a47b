// Declarations only (see ../README.md): pip torch ships ProcessGroupGloo.hpp but not the Gloo headers it includes.
#pragma once
