// STUB: implemented by the store-kit work (cross-process take races for the conformance suite).
print("tokenstore-test-worker: not implemented")
