// A second, independent DICOM network stack (npm dcmjs-dimse) as a sender: C-ECHO, then one
// association with a C-STORE of every file named. Exits 0 when every response was Success.
// Usage: node dcmjs_send.js HOST PORT CALLED_AE CALLING_AE FILE...
'use strict';
const dimse = require('dcmjs-dimse');

const [host, port, calledAe, callingAe, ...files] = process.argv.slice(2);
const { Client } = dimse;
const { CEchoRequest, CStoreRequest } = dimse.requests;
const { Status } = dimse.constants;

let failures = 0;
let answered = 0;
const client = new Client();
const echo = new CEchoRequest();
echo.on('response', (r) => {
  answered++;
  if (r.getStatus() !== Status.Success) { failures++; console.error('C-ECHO failed'); }
});
client.addRequest(echo);
for (const f of files) {
  const store = new CStoreRequest(f);
  store.on('response', (r) => {
    answered++;
    if (r.getStatus() !== Status.Success) {
      failures++;
      console.error(`C-STORE of ${f} answered 0x${r.getStatus().toString(16)}`);
    }
  });
  client.addRequest(store);
}
client.on('networkError', (e) => { console.error('network error:', e.message || e); process.exitCode = 1; });
client.on('associationRejected', (r) => { console.error('association rejected:', JSON.stringify(r)); process.exitCode = 1; });
client.on('closed', () => {
  if (answered !== files.length + 1) {
    console.error(`${answered} of ${files.length + 1} requests answered`);
    process.exitCode = 1;
  } else if (failures > 0) {
    process.exitCode = 1;
  } else {
    console.log(`sent ${files.length} file(s)`);
  }
});
client.send(host, Number(port), callingAe, calledAe);
