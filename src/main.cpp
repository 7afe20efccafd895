// ikegate: an IKE/IPsec gateway configured and operated like a Cisco ASA or IOS router.
#include "cli/main.h"

int main(int argc, char** argv) { return ikegate::cli::main(argc, argv); }
