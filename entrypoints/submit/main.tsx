import { render } from 'preact';
import { SubmitPage } from '../../src/popup/submit/SubmitPage';
import '../../src/popup/style.css';
import '../../src/popup/submit/submit.css';

render(<SubmitPage />, document.getElementById('app')!);
