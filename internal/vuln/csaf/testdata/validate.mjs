// Runs the CSAF 2.0 schema test and every mandatory test (section 6.1) of
// the reference validator, npm @secvisogram/csaf-validator-lib, over the
// documents named on the command line, and prints one JSON line per
// document: {"file", "valid", "tests", "failed": [{"name", "errors"}]}.
//
// The package is looked up in $IOTSEC_CSAF_VALIDATOR/node_modules, else
// $HOME/.cache/iotsec-csaf-validator/node_modules (.ci/run installs it
// there). Exit status: 0 when it ran (whatever the verdicts), 3 when the
// package is missing, 1 on any other failure.
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { homedir } from 'node:os'

const dir = process.env.IOTSEC_CSAF_VALIDATOR || join(homedir(), '.cache', 'iotsec-csaf-validator')
const lib = join(dir, 'node_modules', '@secvisogram', 'csaf-validator-lib')
if (!existsSync(join(lib, 'mandatoryTests.js'))) {
  console.error(`@secvisogram/csaf-validator-lib is not installed in ${dir}`)
  process.exit(3)
}
const load = (f) => import(pathToFileURL(join(lib, f)).href)
const mandatory = await load('mandatoryTests.js')
const schema = await load('schemaTests.js')
const validate = (await load('validate.js')).default
const tests = [schema.csaf_2_0, ...Object.values(mandatory)]
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const res = await validate(tests, doc)
  const failed = res.tests
    .filter((t) => !t.isValid)
    .map((t) => ({ name: t.name, errors: t.errors.map((e) => `${e.instancePath}: ${e.message}`) }))
  console.log(JSON.stringify({ file, valid: res.isValid, tests: res.tests.length, failed }))
}
