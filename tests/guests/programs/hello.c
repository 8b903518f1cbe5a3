/* hello: prints argv and a greeting through the runtime; exits with the argument count. */
#include "../runtime/runtime.h"

int main(int argc, char **argv) {
    print_str("hello from mipstark, argv[0]=");
    print_str(argv[0]);
    print_str("\n");
    commit("hello", 5);
    return argc - 1;
}
