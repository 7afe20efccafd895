#pragma once

namespace ikegate::cli {
// Dispatches `ikegate COMMAND ...`; returns the process exit status.
int main(int argc, char** argv);
}  // namespace ikegate::cli
