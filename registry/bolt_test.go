package registry

import bolt "go.etcd.io/bbolt"

type (
	boltTx     = bolt.Tx
	boltBucket = bolt.Bucket
)
