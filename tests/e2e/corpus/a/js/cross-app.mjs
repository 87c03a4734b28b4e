import { remote } from '{{B}}/js/remote.mjs';

document.getElementById('result').textContent = remote();
document.body.setAttribute('data-done', 'yes');
