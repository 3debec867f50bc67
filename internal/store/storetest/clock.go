package storetest

import "time"

var nowFunc = time.Now
