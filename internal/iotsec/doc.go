// Package iotsec holds the domain of the platform: organisations, users,
// products, firmware versions, devices and the audit log, the store
// interfaces the adapters implement, and the error kinds every layer speaks.
//
// It imports only the standard library. Everything else in the module
// imports it; it imports nothing of the module.
package iotsec
