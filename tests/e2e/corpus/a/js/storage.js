var loads = Number(localStorage.getItem('loads') || '0') + 1;
localStorage.setItem('loads', String(loads));
localStorage.setItem('draft', JSON.stringify({ay: '2024-25', step: loads}));
sessionStorage.setItem('tab', 'loads ' + loads);
document.getElementById('local').textContent =
  'localStorage: loads=' + localStorage.getItem('loads') + ', keys=' + localStorage.length + ', draft step ' + JSON.parse(localStorage.getItem('draft')).step;
document.getElementById('session').textContent = 'sessionStorage: ' + sessionStorage.getItem('tab');
document.body.setAttribute('data-done', String(loads));
