"""Storage for the local Azure: Azurite (Microsoft's emulator, from npm) as a child process, and its reset."""
